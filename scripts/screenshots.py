"""Regenerate screenshots/*.svg from the demo platform (never edit them by hand).

Usage: .venv/bin/python scripts/screenshots.py           write screenshots/
       .venv/bin/python scripts/screenshots.py --check   exit 1 if any committed one is stale
       .venv/bin/python scripts/screenshots.py NAME ...   only these (names without .svg)

Deterministic: the demo platform at its frozen clock, TZ=UTC, config/state/data/cache
dirs in a fresh temporary folder (no user theme, keymap, audit log or settings), no
NO_COLOR, fixed sizes, and every tab waited for until its data is in and its reads stop.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import tempfile
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "screenshots"
Pilot = Any
Step = Callable[[Pilot], Awaitable[None]]


def isolate() -> None:
    """Nothing of the user's environment may reach the pictures."""
    home = tempfile.mkdtemp(prefix="arctui-screenshots-")
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        os.environ[var] = str(Path(home) / var.lower())
    for var in ("NO_COLOR", "ARCTUI_STATS_SOURCE", "ARCTUI_LOG_BUFFER", "TEXTUAL_THEME"):
        os.environ.pop(var, None)
    os.environ["TZ"] = "UTC"
    time.tzset()


async def wait_for(pilot: Pilot, predicate: Callable[[], object], timeout: float = 20.0) -> None:
    """Let the app run until `predicate()` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the demo did not settle")
        await pilot.pause(0.05)


async def loaded(pilot: Pilot) -> None:
    """The Services tab shows the stack, the compose model is in, no read runs."""
    from arctui.tabs.services.view.tab import ServicesTab

    tab = pilot.app.query_one(ServicesTab)
    reader = pilot.app.session.reader
    await wait_for(
        pilot,
        lambda: (
            tab.snapshot is not None
            and not reader.compose_pending
            and not pilot.app.poller.schedule.running
        ),
    )
    await pilot.pause()


async def _tab(pilot: Pilot, key: str, ready: Callable[[Any], object]) -> Any:
    await pilot.press(key)
    await wait_for(pilot, lambda: bool(pilot.app.query(f"#{pilot.app.active_tab}-tab")))
    tab = pilot.app.query_one(f"#{pilot.app.active_tab}-tab")
    await wait_for(pilot, lambda: ready(tab))
    return tab


def _still(tab: Any) -> None:
    """No more reads: the picture is taken of one reading."""
    poller = getattr(tab, "poller", None) or getattr(tab, "schedule", None)
    if poller is not None and hasattr(poller, "stop"):
        poller.stop()


async def services(pilot: Pilot) -> None:
    await pilot.pause()


async def resources(pilot: Pilot) -> None:
    tab = await _tab(pilot, "2", lambda t: t.snapshot is not None and t.volumes is not None)
    await wait_for(pilot, lambda: not tab.schedule.running)
    await pilot.pause()
    tab.refresh_view()  # charts sized to their final layout


async def postgres(pilot: Pilot) -> None:
    tab = await _tab(pilot, "3", lambda t: t.snapshot is not None)
    tab.poller.schedule.paused = True
    await wait_for(pilot, lambda: not tab.poller.schedule.running)


async def redis(pilot: Pilot) -> None:
    await pilot.press("4")
    await wait_for(pilot, lambda: bool(pilot.app.query("#redis-tab")))
    tab = pilot.app.query_one("#redis-tab")
    tab.scan_clock = lambda: 0.0
    await wait_for(pilot, lambda: tab.snapshot is not None and len(tab.snapshot.history) >= 2)
    tab.poller.stop()


async def logs(pilot: Pilot) -> None:
    await _tab(pilot, "5", lambda t: t.feed is not None and t.feed.history_loaded and t.buffer)
    await pilot.pause(0.2)


async def backups(pilot: Pilot) -> None:
    await _tab(pilot, "6", lambda t: t.snapshot is not None and t.table.row_count > 0)


async def metrics(pilot: Pilot) -> None:
    def filled(t: Any) -> bool:  # the rows are in and the column widths follow them
        return t.snapshot is not None and t.query_one("#metrics-services").row_count > 0

    tab = await _tab(pilot, "7", filled)
    tab.poller.stop()
    await pilot.pause(0.2)
    tab.query_one("#metrics-services").refresh()
    await pilot.pause()


async def maintenance(pilot: Pilot) -> None:
    tab = await _tab(pilot, "8", lambda t: t.snapshot is not None)
    if tab.poller is not None:
        tab.poller.stop()
    await pilot.pause()


async def detail(pilot: Pilot) -> None:
    await pilot.press("down", "down", "enter")


async def confirm_restart(pilot: Pilot) -> None:
    from arctui.ui.screens.confirm import ConfirmActionModal

    await pilot.press("R")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmActionModal))


async def help_screen(pilot: Pilot) -> None:
    from arctui.ui.screens.help import HelpScreen

    await pilot.press("question_mark")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))


async def palette(pilot: Pilot) -> None:
    from textual.command import CommandList, CommandPalette

    await pilot.press("colon")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
    await pilot.press(*"back up")
    listed = pilot.app.screen.query_one(CommandList)
    await wait_for(pilot, lambda: listed.option_count >= 3)
    await pilot.pause(0.5)  # the search finishes; the list stops changing


async def backup_restore(pilot: Pilot) -> None:
    await backups(pilot)
    await pilot.press("R")
    await pilot.pause()


async def health(pilot: Pilot) -> None:
    from arctui.ui.screens.health import HealthScreen

    await pilot.press("H")
    await wait_for(
        pilot, lambda: isinstance(pilot.app.screen, HealthScreen) and pilot.app.screen.report
    )
    # The report is in; DataTable measures its columns when it is next idle, which a
    # loaded run reached after the picture (narrow columns, twice in CI). Wait for that
    # measuring pass itself (DataTable has no public flag for it), then one frame.
    from textual.widgets import DataTable

    table = pilot.app.screen.query_one(DataTable)
    await wait_for(pilot, lambda: table.row_count > 0)
    await wait_for(pilot, lambda: not table._require_update_dimensions)
    await pilot.pause(0.3)
    await pilot.pause()


async def wizard(pilot: Pilot) -> None:
    from textual.widgets import OptionList

    from arctui.ui.screens.wizard import DoctorScreen

    await pilot.press("T")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, DoctorScreen))
    pilot.app.screen.query_one(OptionList).highlighted = 1
    await pilot.press("enter")
    await wait_for(pilot, lambda: "memory" in pilot.app.screen.results)


@dataclass(frozen=True)
class Shot:
    """One picture: file name, terminal size, what to do first, environment and theme."""

    name: str
    size: tuple[int, int]
    steps: tuple[Step, ...] = ()
    env: str = "demo"
    theme: str | None = None


TABS: tuple[tuple[str, Step], ...] = (
    ("services", services),
    ("resources", resources),
    ("postgres", postgres),
    ("redis", redis),
    ("logs", logs),
    ("backups", backups),
    ("metrics", metrics),
    ("maintenance", maintenance),
)
SHOTS: tuple[Shot, ...] = (
    # Every tab in the default theme (arc-dark) and in arc-light.
    *(Shot(f"{name}-160x48", (160, 48), (step,)) for name, step in TABS),
    *(Shot(f"{name}-120x36-light", (120, 36), (step,), theme="arc-light") for name, step in TABS),
    Shot("services-80x24", (80, 24)),
    Shot("services-80x24-arc-16", (80, 24), theme="arc-16"),
    Shot("services-detail-120x40", (120, 40), (detail,)),
    Shot("services-production-120x32", (120, 32), env="prod"),
    # The main modals.
    Shot("confirm-restart-prod-100x30", (100, 30), (confirm_restart,), env="prod"),
    Shot("help-100x30", (100, 30), (help_screen,)),
    Shot("palette-100x30", (100, 30), (palette,)),
    Shot("backup-restore-120x36", (120, 36), (backup_restore,)),
    Shot("health-120x36", (120, 36), (health,)),
    Shot("wizard-memory-120x36", (120, 36), (wizard,)),
)


async def render(shot: Shot) -> str:
    """The SVG of one shot."""
    from textual.widgets import Input

    from arctui.config.settings import Settings
    from arctui.demo.platform import DEMO_EPOCH
    from arctui.session import demo_session
    from arctui.ui.app import ArcApp

    session = demo_session(Settings(), env=shot.env, clock=lambda: DEMO_EPOCH)
    app = ArcApp(session, theme=shot.theme)
    async with app.run_test(size=shot.size) as pilot:
        await loaded(pilot)
        for step in shot.steps:
            await step(pilot)
        for field in app.screen.query(Input):  # a blinking cursor makes two pictures
            field.cursor_blink = False
        await pilot.pause()
        return stable_ids(app.export_screenshot())


def stable_ids(svg: str) -> str:
    """Rich names the SVG's classes after a hash that includes random link ids (a row
    with a click action): name them after the picture itself instead."""
    bare = re.sub(r"terminal-\d+", "terminal", svg)
    return re.sub(r"terminal-\d+", f"terminal-{zlib.adler32(bare.encode())}", svg)


async def main(argv: list[str]) -> int:
    isolate()
    check = "--check" in argv
    names = [a for a in argv if not a.startswith("--")]
    shots = [s for s in SHOTS if not names or s.name in names]
    stale = []
    OUT.mkdir(exist_ok=True)
    for shot in shots:
        svg = await render(shot)
        path = OUT / f"{shot.name}.svg"
        if check:
            if not path.is_file() or path.read_text("utf-8") != svg:
                # Kept for a diff against the committed one (a flaky shot shows why).
                fresh = Path(tempfile.gettempdir()) / f"arctui-stale-{path.name}"
                fresh.write_text(svg, "utf-8")
                stale.append(f"{path.name} (new render: {fresh})")
            continue
        path.write_text(svg, "utf-8")
        print(f"screenshots/{path.name}")
    if check:
        known = {f"{s.name}.svg" for s in SHOTS}
        stale += [f"{p.name} (no shot makes it)" for p in OUT.glob("*.svg") if p.name not in known]
        for name in stale:
            print(f"stale: screenshots/{name}", file=sys.stderr)
        return 1 if stale else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(sys.argv[1:])))
