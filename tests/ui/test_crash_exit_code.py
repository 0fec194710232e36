"""An unhandled exception in the TUI ends `arctui` with a non-zero exit code (issue 18
item 4: a palette crash ended the app, which then exited 0)."""

from __future__ import annotations

import pytest

import arctui.ui.app as app_module
from arctui import cli


class _Boom(RuntimeError):
    pass


@pytest.mark.parametrize("crash", [True, False])
def test_the_tui_exit_code_says_whether_it_crashed(monkeypatch, crash: bool) -> None:
    ran: list[bool] = []
    real_run = app_module.ArcApp.run

    def run(self, *args, **kwargs):
        ran.append(True)
        return real_run(self, *args, **{**kwargs, "headless": True})

    def on_ready(self) -> None:
        if crash:
            raise _Boom("a bug in a handler")
        self.exit()

    monkeypatch.setattr(app_module.ArcApp, "run", run)
    monkeypatch.setattr(app_module.ArcApp, "on_ready", on_ready, raising=False)
    code = cli.main(["--demo"])
    assert ran == [True]
    assert (code != 0) is crash
