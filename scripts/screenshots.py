"""Regenerate screenshots/*.svg from the demo platform (never edit them by hand).

Usage: .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from arctui.config.settings import Settings  # noqa: E402
from arctui.demo.platform import DEMO_EPOCH  # noqa: E402
from arctui.session import demo_session  # noqa: E402
from arctui.ui.app import ArcApp  # noqa: E402

OUT = ROOT / "screenshots"
Step = Callable[[object], Awaitable[None]]


async def _settle(pilot) -> None:
    from arctui.tabs.services.view.tab import ServicesTab

    tab = pilot.app.query_one(ServicesTab)
    for _ in range(200):
        reader = pilot.app.session.reader
        if tab.snapshot is not None and not reader.compose_pending and not tab_busy(pilot.app):
            break
        await pilot.pause(0.05)
    await pilot.pause(0.3)


def tab_busy(app) -> bool:
    """Whether any poller of the app is in the middle of a read."""
    return any(p.schedule.running for p in app.pollers)


async def shoot(
    name: str,
    size: tuple[int, int],
    env: str = "demo",
    keys: tuple = (),
    wait: float = 0.0,
    theme: str | None = None,
) -> None:
    """Run the demo app at `size`, press `keys`, save screenshots/<name>.svg."""
    session = demo_session(Settings(), env=env, clock=lambda: DEMO_EPOCH)
    app = ArcApp(session, theme=theme)
    async with app.run_test(size=size) as pilot:
        await _settle(pilot)
        if keys:
            await pilot.press(*keys)
            await _settle(pilot)
            await pilot.pause(wait)  # tabs with their own polls (Resources) fill in
        app.save_screenshot(f"{name}.svg", str(OUT))
    print(f"screenshots/{name}.svg")


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    # Screenshots must not pick up the user's own themes or keymaps.
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp()
    await shoot("services-160x48", (160, 48))
    await shoot("services-80x24", (80, 24))
    await shoot("services-detail-120x40", (120, 40), keys=("down", "down", "enter"))
    await shoot("services-production-120x32", (120, 32), env="prod")
    await shoot("resources-160x48", (160, 48), keys=("2",), wait=2.5)
    await shoot("postgres-160x48", (160, 48), keys=("3",), wait=1.0)
    await shoot("redis-160x48", (160, 48), keys=("4",), wait=1.0)
    await shoot("logs-160x48", (160, 48), keys=("5",), wait=1.0)
    await shoot("backups-160x48", (160, 48), keys=("6",), wait=1.0)
    await shoot("services-160x48-light", (160, 48), theme="arc-light")
    await shoot("confirm-restart-prod-100x30", (100, 30), env="prod", keys=("R",))


if __name__ == "__main__":
    asyncio.run(main())
