"""Modals of the Postgres tab: a setting's new value, and EXPLAIN of a typed query."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Static, TextArea

from arctui.sources.base import SourceError
from arctui.tabs.postgres.models import Setting
from arctui.text import clean, one_line

_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 94%; max-width: 120; height: auto; max-height: 90%;
    border: thick $primary; background: $surface; padding: 0 1;
}}
{name} .pg-title {{ text-style: bold; }}
{name} .pg-buttons {{ height: 1; margin: 1 0 0 0; }}
{name} .pg-buttons Button {{ margin: 0 2 0 0; min-width: 10; }}
{name} TextArea {{ height: 8; }}
{name} #explain-output {{ height: 16; border: round $primary; }}
{name} #explain-warning {{ color: $warning; }}
"""


class SettingValueModal(ModalScreen[str | None]):
    """Asks for a setting's new value; the confirmation comes after."""

    BINDINGS = [Binding("escape", "close", "Close", id="postgres.value_close")]
    DEFAULT_CSS = _CSS.format(name="SettingValueModal")

    def __init__(self, setting: Setting) -> None:
        super().__init__()
        self.setting = setting

    def compose(self) -> ComposeResult:
        s = self.setting
        with Vertical():
            yield Static(Text(f"Change {one_line(s.name, 60)}"), classes="pg-title")
            info = Text(one_line(s.description, 200) + "\n")
            info.append(f"now {one_line(s.value, 60)} (source: {one_line(s.source, 40)}); ")
            info.append(
                "needs a restart" if s.needs_restart else "applied by a reload",
                style="bold",
            )
            yield Static(info)
            yield Input(s.value, id="setting-value")
            with Horizontal(classes="pg-buttons"):
                yield Button("Cancel", id="setting-cancel", compact=True)
                yield Button("Next", id="setting-next", variant="warning", compact=True)

    def on_mount(self) -> None:
        self.query_one("#setting-value", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#setting-next")
    def _next(self, event: Any) -> None:
        event.stop()
        self.dismiss(self.query_one("#setting-value", Input).value.strip() or None)

    @on(Button.Pressed, "#setting-cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        """Escape: nothing changes."""
        self.dismiss(None)


class ExplainModal(ModalScreen[None]):
    """EXPLAIN a typed query; EXPLAIN ANALYZE goes through the audited confirmation."""

    BINDINGS = [Binding("escape", "close", "Close", id="postgres.explain_close")]
    DEFAULT_CSS = _CSS.format(name="ExplainModal")

    def __init__(
        self,
        query: str,
        explain: Callable[[str], list[str]],
        analyze: Callable[[str, Callable[[list[str], str], None]], None],
        redact: Callable[[str], str],
        allow_analyze: bool,
    ) -> None:
        super().__init__()
        self.initial = query
        self.explain = explain  # worker thread: plain EXPLAIN lines, or SourceError
        self.analyze = analyze  # main thread: opens the confirmation, calls back with lines
        self.redact = redact
        self.allow_analyze = allow_analyze

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("EXPLAIN a query"), classes="pg-title")
            yield TextArea(self.initial, id="explain-query", soft_wrap=True)
            box = Checkbox("ANALYZE (executes the query)", id="explain-analyze")
            box.disabled = not self.allow_analyze
            yield box
            yield Static(
                Text(
                    "ANALYZE runs the query for real inside a transaction that is rolled back"
                    " (a typed confirmation in production; refused in read-only)."
                ),
                id="explain-warning",
            )
            with VerticalScroll(id="explain-output"):
                yield Static(id="explain-body")
            with Horizontal(classes="pg-buttons"):
                yield Button("Close", id="explain-close", compact=True)
                yield Button("Explain", id="explain-run", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#explain-query", TextArea).focus()

    def _show(self, lines: list[str], note: str = "") -> None:
        text = Text()
        if note:
            text.append(one_line(note, 400) + "\n", style="bold")
        text.append(clean("\n".join(self.redact(line) for line in lines)))
        self.query_one("#explain-body", Static).update(text)

    @on(Button.Pressed, "#explain-run")
    def _run(self, event: Button.Pressed) -> None:
        event.stop()
        query = self.query_one("#explain-query", TextArea).text
        if not query.strip():
            self._show([], "type a query first")
            return
        if self.query_one("#explain-analyze", Checkbox).value:
            self.analyze(query, self._show)
            return
        self._show([], "explaining …")
        self.run_worker(lambda: self._plain(query), thread=True, exit_on_error=False)

    def _plain(self, query: str) -> None:
        try:
            lines, note = self.explain(query), ""
        except SourceError as exc:
            lines, note = [], exc.reason
        self.app.call_from_thread(self._show, lines, note)

    @on(Button.Pressed, "#explain-close")
    def _close(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        """Escape: close."""
        self.dismiss(None)
