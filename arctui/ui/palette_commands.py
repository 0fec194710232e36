"""Command palette entries for every tab, built from what the app knows now.

- every key of every tab, by name ("Postgres: Slow queries"), which switches to the tab
  and runs the same action the key runs;
- actions named after the current state, from each tab's `TabSpec.palette` (the Backups
  tab's "Back up Postgres now", "Restore backup <id>"); the health view and every
  troubleshooting wizard ("Open wizard: ...");
- theme, keymap and help.

A tab adds commands named after its own state by giving its view a method
`palette_commands() -> list[(title, callback, help)]`; they are listed as "<Tab>: title"
while the tab is built.

Lifecycle actions on services live in `arctui.ui.commands.ActionCommands`. Everything
here calls the same code paths as the keys (confirmation, audit, read-only refusal).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import partial
from typing import Any

from textual.actions import parse

from arctui.tabs import TABS, TabSpec
from arctui.ui.palette_base import Command, PlainProvider
from arctui.ui.shell import shell
from arctui.ui.theming import merged_bindings

# Bindings that only make sense with a key in hand (movement, closing a pane) or that
# the lifecycle provider already lists per service.
_SKIP_ACTIONS = frozenset({"close", "service", "cursor", "cursor_to", "page", "step", "top"})


def tab_widgets(app: Any, tab_id: str) -> Any:
    """The tab's view if it is built, looked up on the app's base screen: `app.query`
    searches only the screen on top, which is the palette itself while it is open."""
    base = app.screen_stack[0] if app.screen_stack else app.screen
    return base.query(f"#{tab_id}-tab")


def run_on_tab(app: Any, tab_id: str, action: str, tries: int = 40) -> None:
    """Show the tab, then run `action` on its widget once it is mounted (tabs other than
    the first are built when first shown)."""
    app.action_show_tab(tab_id)

    def attempt(left: int) -> None:
        found = tab_widgets(app, tab_id)
        if found:
            widget = found.first()
            app.call_later(app.run_action, action, widget)
        elif left > 0:
            app.set_timer(0.05, lambda: attempt(left - 1))

    app.call_after_refresh(attempt, tries)


def _key_text(app: Any, binding: Any) -> str:
    from arctui.ui.screens.help import key_names

    keys = key_names(app, binding)
    return f"key {' '.join(keys)}" if keys else ""


def tab_commands(app: Any, spec: TabSpec) -> list[Command]:
    """Every key of one tab's view, by name."""
    try:
        view = spec.load_view()
    except Exception:  # a tab that cannot load says so when shown; the palette goes on
        return []
    mounted = tab_widgets(app, spec.id)
    widget = mounted.first() if mounted else None
    commands: list[Command] = [
        (f"Go to {spec.title} tab", partial(app.action_show_tab, spec.id), spec.plan or "")
    ]
    seen: set[str] = set()
    for bindings in merged_bindings(view).values():
        for binding in bindings:
            _, name, params = parse(binding.action)
            if name in _SKIP_ACTIONS or binding.id in seen or not binding.description:
                continue
            seen.add(binding.id or binding.action)
            if widget is not None and widget.check_action(name, params) is False:
                continue  # read-only: mutating actions are not offered
            where = f"{_key_text(app, binding)} on the {spec.title} tab"
            commands.append(
                (
                    f"{spec.title}: {binding.description}",
                    partial(run_on_tab, app, spec.id, binding.action),
                    where,
                )
            )
    # A tab may name its own state-based commands ("Cancel query of pid 4242 ..."):
    # `palette_commands()` on its view returns (title, callback, help) tuples.
    own = getattr(widget, "palette_commands", None)
    if callable(own):
        with contextlib.suppress(Exception):  # a tab's bug must not empty the palette
            commands.extend([(f"{spec.title}: {t}", cb, h) for t, cb, h in own()])
    return commands


def state_commands(app: Any, spec: TabSpec) -> list[Command]:
    """The entries a tab names after its state ("Back up Postgres now"), via the registry."""
    build = spec.load_palette()
    return list(build(app)) if build is not None else []


def screen_commands(app: Any) -> list[Command]:
    """The health view and each troubleshooting wizard ("Open wizard: High memory ...")."""
    try:
        from arctui.ops.doctor import WIZARDS
        from arctui.ui.screens import health, wizard
    except ImportError:  # a build without them
        return []
    out: list[Command] = [
        (
            "Open health view",
            partial(_open_health, app, health),
            "probes, root causes along depends_on, the event history",
        ),
        (
            "Write diagnostics bundle",
            app.action_diagnostics,
            "redacted state, logs and checks in one file, for a ticket",
        ),
    ]
    for w in WIZARDS:
        out.append(
            (
                f"Open wizard: {w.title}",
                partial(_open_wizard, app, wizard, w),
                "runs its read-only checks; fixes go through the confirmation",
            )
        )
    return out


def _open_health(app: Any, module: Any) -> None:
    app.push_screen(
        module.HealthScreen(app.session, module.history_of(app), app.current_snapshot())
    )


def _open_wizard(app: Any, module: Any, chosen: Any) -> None:
    screen = module.DoctorScreen(app.session, shell(app).selected_service)
    app.push_screen(screen)
    app.call_after_refresh(screen.run_wizards, [chosen])


def app_commands(app: Any) -> list[Command]:
    """Help, themes and keymaps."""
    out: list[Command] = [
        ("Help: keys of this tab", app.action_help, "? on every tab"),
    ]
    current = app.theme
    for name in sorted(shell(app).arc_theme_names):
        if name != current:
            out.append((f"Theme: {name}", partial(setattr, app, "theme", name), "switch now"))
    for name in shell(app).keymap_names():
        out.append((f"Keymap: {name}", partial(app.switch_keymap, name), "switch now (this run)"))
    return out


def _safe(build: Callable[[], list[Command]]) -> list[Command]:
    try:
        return build()
    except Exception:  # one broken source of commands must not take the palette down
        return []


class TabCommands(PlainProvider):
    """Every tab's actions, state-named actions, help, themes and keymaps."""

    def _commands(self) -> tuple[list[Command], list[Command]]:
        app: Any = self.app
        active = shell(app).active_tab
        stateful = [c for spec in TABS for c in _safe(partial(state_commands, app, spec))]
        stateful += _safe(lambda: screen_commands(app))
        per_tab = {spec.id: _safe(partial(tab_commands, app, spec)) for spec in TABS}
        everything = stateful + [c for cmds in per_tab.values() for c in cmds]
        everything += _safe(lambda: app_commands(app))
        suggested = per_tab.get(active, [])[1:] + stateful
        return everything, suggested
