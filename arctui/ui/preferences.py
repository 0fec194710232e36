"""What makes arctui one's own at run time: keymap (applied, checked, switched live),
NO_COLOR, the help screen and the `:` palette key. ArcApp's methods call these."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from textual.app import App

from arctui.ui.theming import (
    ThemeFileError,
    check_keymap,
    keymap_report,
    load_keymap,
    problem_summary,
)

if TYPE_CHECKING:
    from arctui.ui.app import ArcApp

NO_COLOR_THEME = "arc-mono"


def no_color() -> bool:
    """NO_COLOR set to anything but empty (https://no-color.org)."""
    return bool(os.environ.get("NO_COLOR"))


def initial_theme(explicit: str | None, configured: str) -> str:
    """`--theme` wins; else NO_COLOR picks the monochrome theme; else the settings'.

    Textual also greys every colour when NO_COLOR is set; arc-mono keeps what is left
    (bold, reverse, the terminal's own colours) legible. State is never colour alone.
    """
    if explicit:
        return explicit
    return NO_COLOR_THEME if no_color() else configured


def apply_keymap(app: ArcApp, name: str) -> bool:
    """Bind the keymap's keys now; check its ids and clashes against every tab off-thread.

    Tabs are imported when first shown, so their binding ids are not all known before
    the first frame: the ids are checked on a worker once the app runs, and every
    unknown id or clash is reported once (a clash is never silently resolved).
    """
    try:
        keymap = load_keymap(name)
    except ThemeFileError as exc:
        app.notify(f"keymap not loaded: {exc}", severity="warning", timeout=10, markup=False)
        return False
    # The settings file's `keys:` win over the keymap, whichever keymap is in force; a
    # wrong id or a clash there is reported like one in a keymap file.
    keymap = {**keymap, **app.session.settings.keys}
    usable, _ = check_keymap(keymap, None)  # key names and the quit key, now
    App.set_keymap(app, usable)  # not ActionsApp's: its id check knows only loaded tabs
    app.keymap_name = name
    app.pending_keymap_check = keymap
    return True


def check_keymap_later(app: ArcApp) -> None:
    """Report the pending keymap's problems (worker thread: imports every tab's view)."""
    keymap, app.pending_keymap_check = app.pending_keymap_check, None
    if not keymap:
        return
    problems = keymap_report(keymap)
    if problems:
        source = " with the settings' keys" if app.session.settings.keys else ""
        message = f"keymap {app.keymap_name}{source}: " + problem_summary(problems)
        app.call_from_thread(
            app.notify, message, title="Keymap", severity="warning", timeout=15, markup=False
        )


def switch_keymap(app: ArcApp, name: str) -> None:
    """Change the keymap for this run (the palette's "Keymap: NAME")."""
    App.set_keymap(app, {})
    if apply_keymap(app, name):
        app.run_worker(
            lambda: check_keymap_later(app), thread=True, exit_on_error=False, group="keymap"
        )
        app.notify(f"keymap {name}", markup=False)


def open_help(app: ArcApp) -> None:
    """The help screen for the tab on screen (not stacked on another help screen)."""
    from arctui.tabs import TABS
    from arctui.ui.palette_commands import tab_widgets
    from arctui.ui.screens.help import HelpScreen, help_rows

    if isinstance(app.screen, HelpScreen):
        return
    titles = {spec.id: spec.title for spec in TABS}
    tab_id = app.active_tab
    found = tab_widgets(app, tab_id)
    tab: Any = found.first() if found else None
    title = titles.get(tab_id, tab_id)
    app.push_screen(HelpScreen(help_rows(app, tab, title), title, app.keymap_name))
