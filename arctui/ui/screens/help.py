"""The `?` help screen: the keys of the tab on screen, as the active keymap binds them.

Rows come from the bindings of the tab's widgets (its own, its tables') and the app's,
with the keymap applied by binding id, so a `--keymap vim` user sees `j`, not `down`.
Keys that read-only mode switches off are listed as off, not hidden: the operator learns
they exist and why they do nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.actions import parse
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from arctui.text import one_line
from arctui.ui.replay import MUTATING_IDS
from arctui.ui.shell import shell
from arctui.ui.theming import merged_bindings


@dataclass(frozen=True)
class HelpRow:
    """One key of the help screen."""

    section: str
    keys: str  # as the footer shows them, e.g. "R" or "j down"
    description: str
    binding_id: str
    enabled: bool


def _bindings(node: DOMNode) -> list[Binding]:
    seen: dict[str, Binding] = {}
    for bindings in merged_bindings(type(node)).values():
        for binding in bindings:
            seen.setdefault(binding.id or binding.action, binding)
    return list(seen.values())


def key_names(app: App[Any], binding: Binding) -> list[str]:
    """The keys a binding answers to under the app's keymap, as the footer shows them."""
    keymap = shell(app).active_keymap()
    remapped = binding.id is not None and binding.id in keymap
    keys = keymap[binding.id] if remapped and binding.id else binding.key
    out = []
    for key in (k.strip() for k in keys.split(",") if k.strip()):
        display = None if remapped or "," in binding.key else binding.key_display
        out.append(app.get_key_display(binding.with_key(key, key_display=display)))
    return out


def _enabled(node: DOMNode, binding: Binding) -> bool:
    _, name, params = parse(binding.action)
    try:
        return node.check_action(name, params) is not False
    except Exception:  # a check that needs data not there yet: say enabled
        return True


def _rows(app: App[Any], section: str, nodes: list[DOMNode], seen: set[str]) -> list[HelpRow]:
    rows = []
    for node in nodes:
        for binding in _bindings(node):
            name = binding.id or binding.action
            # arctui's bindings all have ids; of Textual's own, only the palette's matters
            # (an Input's editing keys are not the tab's keys).
            wanted = binding.id or binding.action == "command_palette"
            if name in seen or not binding.description or not wanted:
                continue
            seen.add(name)
            rows.append(
                HelpRow(
                    section,
                    " ".join(key_names(app, binding)),
                    binding.description,
                    binding.id or "",
                    _enabled(node, binding),
                )
            )
    return rows


def help_rows(app: App[Any], tab: DOMNode | None, title: str) -> list[HelpRow]:
    """The help screen's rows: the tab's keys first, then its tables', then the app's."""
    seen: set[str] = set()
    rows: list[HelpRow] = []
    if tab is not None:
        widgets = [tab, *tab.query("*")]
        declared = [w for w in widgets if type(w).__module__.startswith("arctui.")]
        own = [w for w in declared if w is tab or type(w).__module__.startswith("arctui.tabs")]
        shared = [w for w in declared if w not in own]
        rows += _rows(app, f"{title} tab", own, seen)
        rows += _rows(app, "Lists and tables", shared, seen)
    rows += _rows(app, "Everywhere", [app], seen)
    return rows


class HelpScreen(ModalScreen[None]):
    """The keys of the current tab and the app, from the active keymap."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 96%; max-width: 110; height: 92%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    HelpScreen #help-title { height: auto; }
    HelpScreen DataTable { height: 1fr; }
    HelpScreen #help-foot { height: auto; color: $text-muted; }
    """

    def __init__(self, rows: list[HelpRow], title: str, keymap: str) -> None:
        super().__init__()
        self.rows = rows
        self.tab_title = title
        self.keymap_name = keymap

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="help-title")
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=False)
            yield Static(id="help-foot")

    def on_mount(self) -> None:
        title = Text(f"Keys: {self.tab_title} tab", style="bold")
        title.append(f"  ·  keymap {one_line(self.keymap_name, 40)}  ·  Esc closes")
        self.query_one("#help-title", Static).update(title)
        foot = Text(": or ctrl+p opens the command palette: every action by name, for ")
        foot.append("the selected service and the whole stack, and theme and keymap switches.")
        self.query_one("#help-foot", Static).update(foot)
        table = self.query_one("#help-table", DataTable)
        table.add_columns("Key", "What", "Binding id")
        section = None
        # A key is off for read-only mode, or because it does not apply now (E with one
        # engine): name read-only only when it is the reason.
        read_only = shell(self.app).session.read_only
        for i, row in enumerate(self.rows):
            if row.section != section:
                section = row.section
                table.add_row(Text(section, style="bold"), "", "", key=f"section-{i}")
            what = Text(row.description)
            if not row.enabled:
                mutating = read_only and row.binding_id in MUTATING_IDS
                what.append("  (off: read-only)" if mutating else "  (off here)", style="dim")
            table.add_row(
                Text(row.keys, style="bold" if row.enabled else "dim"),
                what,
                Text(row.binding_id, style="dim"),
                key=f"row-{i}",
            )
        if table.row_count > 1:
            table.move_cursor(row=1, animate=False)  # the first key, not its section's title
        table.focus()
