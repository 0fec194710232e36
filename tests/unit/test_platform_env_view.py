"""The env view on a platform-shaped checkout at 80x24 and 160x48 (issue 8, point 9)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import DataTable, Static

from arctui.config.project import resolve_project
from arctui.ui.screens.env import EnvScreen, column_widths
from tests.platform_fixture import checkout


class _Host(App[None]):
    def __init__(self, screen: EnvScreen) -> None:
        super().__init__()
        self._env_screen = screen

    def on_mount(self) -> None:
        self.push_screen(self._env_screen)


def _layers(tmp_path: Path):
    root = checkout(tmp_path / "arc")
    _, layers = resolve_project(root, environ={"PATH": "/usr/bin:/bin"})
    return root, layers


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_columns_fit_and_values_keep_room(tmp_path: Path, size: tuple[int, int]) -> None:
    root, layers = _layers(tmp_path)
    app = _Host(EnvScreen(layers, root, "default"))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#env-table", DataTable)
        widths = {c.label.plain: c.width for c in table.columns.values()}
        # Every column fits the screen together with the cell padding.
        assert sum(widths.values()) + 2 * len(widths) <= size[0] - 6
        # The key column is sized to the keys (not ~48 wide) and the value keeps its room.
        longest_key = max(len(k) for k in layers.values)
        assert widths["Key"] <= max(longest_key, 16)
        assert widths["Value"] >= 20
        if size[0] >= 160:
            assert widths["Key"] == longest_key  # no key cut when there is room


async def test_highlighted_value_is_shown_in_full(tmp_path: Path) -> None:
    root, layers = _layers(tmp_path)
    screen = EnvScreen(layers, root, "default")
    app = _Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#env-table", DataTable)
        index = next(i for i, r in enumerate(screen.rows) if r.key == "OTEL_EXPORTER_OTLP_ENDPOINT")
        table.move_cursor(row=index)
        await pilot.pause()
        detail = str(app.screen.query_one("#env-detail", Static).render())
        assert "OTEL_EXPORTER_OTLP_ENDPOINT = http://arc-widow-otel:4317" in detail
        assert "from .env" in detail
        # A per-service copy nobody reads says so.
        index = next(i for i, r in enumerate(screen.rows) if r.key == "REDIS_MAXMEMORY")
        table.move_cursor(row=index)
        await pilot.pause()
        detail = str(app.screen.query_one("#env-detail", Static).render())
        assert "unused: no compose file names this file in env_file:" in detail


def test_column_widths_give_way_in_order(tmp_path: Path) -> None:
    from arctui.ops.envinfo import env_rows

    root, layers = _layers(tmp_path)
    rows = env_rows(layers, root)
    wide, narrow = column_widths(rows, 152), column_widths(rows, 76)
    assert narrow["From"] < wide["From"] and narrow["Key"] >= 16
    assert narrow["Value"] >= int((76 - 6 - 8) * 0.35)
