"""Issue 9 in the TUI: the banner, detail pane, screenshots, themes, keymaps, tiny
terminals, refusals before the modal, and quitting with a confirmation open."""

from __future__ import annotations

import os
import stat

from textual.widgets import Static

from arctui.config.masking import MASK
from arctui.ops.audit import AuditLog
from arctui.tabs.services.view.tab import ServicesTab
from arctui.ui.app import ArcApp
from arctui.ui.screens.confirm import ConfirmActionModal
from arctui.ui.screenshot import screenshot_dir
from arctui.ui.widgets.banner import ProblemBanner
from tests.ui.conftest import loaded, make_demo_app, wait_for
from tests.unit.test_hostile_redaction import ALL, ENV_SECRET, make_session


def modals(app) -> list[ConfirmActionModal]:
    return [s for s in app.screen_stack if isinstance(s, ConfirmActionModal)]


def notes(app) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def select(pilot, service: str) -> None:
    tab = pilot.app.query_one(ServicesTab)
    tab.table.move_cursor(tab.table.row_keys.index(service))
    await pilot.pause()


def leaks(text: str) -> list[str]:
    return [s for s in ALL if s in text]


# Points 1 and 2 --------------------------------------------------------------------------
async def test_banner_detail_pane_and_screenshot_hold_no_secret(tmp_path):
    session = make_session(tmp_path, compose_error=f"invalid containerPort: {ENV_SECRET}")
    app = ArcApp(session)
    async with app.run_test(size=(140, 50)) as pilot:
        tab = app.query_one(ServicesTab)
        await wait_for(pilot, lambda: tab.snapshot is not None and app.snapshot is not None)
        banner = app.query_one(ProblemBanner)
        await wait_for(pilot, lambda: "containerPort" in str(banner.render()))
        assert f"containerPort: {MASK}" in str(banner.render())
        await select(pilot, "hostile")
        await pilot.press("enter")
        await pilot.pause()
        detail = " ".join(str(w.render()) for w in tab.query(Static))
        assert "probe.db.password" in detail and not leaks(detail)
        path = app.deliver_screenshot()
        await pilot.pause()
    assert path is not None and path.startswith(str(screenshot_dir()))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(screenshot_dir()).st_mode) == 0o700
    with open(path, encoding="utf-8") as f:
        svg = f.read()
    assert "hostile" in svg and not leaks(svg)


async def test_screenshot_into_a_missing_folder_says_why(tmp_path):
    app = make_demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        blocker = tmp_path / "a-file"
        blocker.write_text("")
        assert app.deliver_screenshot(path=str(blocker / "sub")) is None
        await pilot.pause()
        assert "screenshot not saved" in notes(app) and "a-file" in notes(app)


# Point 3: themes --------------------------------------------------------------------------
async def test_a_bad_theme_chosen_with_theme_is_reported_once_and_skipped(tmp_path):
    folder = tmp_path / "config" / "arctui" / "themes"
    folder.mkdir(parents=True)
    (folder / "bad.yaml").write_text('name: bad\nprimary: "notacolor"\n')
    (folder / "brace.yaml").write_text(
        'name: brace\nprimary: "#123456"\nvariables:\n  status-up: "red }"\n'
    )
    from arctui.config.settings import Settings
    from arctui.session import demo_session

    app = ArcApp(demo_session(Settings()), theme="bad")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert app.theme == "arc-dark"
        assert "bad" not in app.available_themes and "brace" not in app.available_themes
        text = notes(app)
        assert text.count("bad.yaml") == 1 and text.count("brace.yaml") == 1
        # Registering one at run time (a palette or plugin path) is refused the same way.
        from textual.theme import Theme

        app.register_theme(Theme(name="late", primary="nope"))
        await pilot.pause()
        assert "late" not in app.available_themes and "theme ignored" in notes(app)
    assert app.return_code in (0, None)


# Point 8: keymaps ------------------------------------------------------------------------
async def test_a_conflicting_keymap_is_reported_and_q_still_quits(tmp_path):
    folder = tmp_path / "config" / "arctui" / "keymaps"
    folder.mkdir(parents=True)
    (folder / "evil.yaml").write_text(
        "bindings:\n  app.refresh: q\n  services.nope: z\n  services.sort: notakey\n"
    )
    app = make_demo_app(keymap="evil")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        text = notes(app)
        assert "services.nope" in text and "notakey" in text and "quit key" in text
        await pilot.press("q")
        await pilot.pause()
    assert not app.is_running


# Point 9: refusals before the modal; quitting with a confirmation open ---------------------
async def test_an_action_on_a_not_created_service_is_refused_before_the_modal():
    app = make_demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await select(pilot, "livekit")
        await pilot.press("x")
        await pilot.pause()
        assert modals(app) == []
        assert "livekit is not running (not created)" in notes(app)
        assert AuditLog().read()[-1]["outcome"] == "refused"


async def test_ctrl_q_with_a_confirmation_open_records_the_decline():
    app = make_demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await select(pilot, "redis")
        await pilot.press("x")
        await pilot.pause()
        assert modals(app)
        await pilot.press("ctrl+q")
        await pilot.pause()
    [entry] = AuditLog().read()
    assert entry["outcome"] == "declined" and "quit" in entry["detail"]


async def test_an_unwritable_audit_log_refuses_before_the_modal(tmp_path, monkeypatch):
    app = make_demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        blocker = tmp_path / "state-file"
        blocker.write_text("")
        app.audit.path = blocker / "audit.jsonl"
        await select(pilot, "redis")
        await pilot.press("x")
        await pilot.pause()
        assert modals(app) == [] and "audit log cannot be written" in notes(app)
        assert app.session.reader.read().service("redis").state.value == "running"


# Point 5: small terminals -------------------------------------------------------------------
async def test_at_40x10_a_destructive_action_is_refused_not_confirmed_blind():
    app = make_demo_app()
    async with app.run_test(size=(40, 10)) as pilot:
        await loaded(pilot)
        await select(pilot, "redis")
        await pilot.press("K")
        await wait_for(pilot, lambda: not modals(app) and AuditLog().read())
        # Typing the project name blind and Enter does nothing now.
        await pilot.press(*"arc-platform", "enter")
        await pilot.pause()
        assert app.session.reader.read().service("redis").state.value == "running"
        entries = AuditLog().read()  # the typed letters are keys too (p opens pause ...)
        assert entries[0]["action"] == "kill" and "too small" in entries[0]["detail"]
        assert all(e["outcome"] in ("refused", "declined") for e in entries)
        assert "too small" in notes(app)


async def test_at_60x15_the_prompt_and_buttons_are_on_screen():
    app = make_demo_app()
    async with app.run_test(size=(60, 15)) as pilot:
        await loaded(pilot)
        await select(pilot, "redis")
        await pilot.press("K")
        await pilot.pause()
        await pilot.pause()
        [modal] = modals(app)
        assert modal.fits()
        screen = modal.region
        for selector in ("#confirm-word-0", "#confirm-run", "#confirm-cancel", "#confirm-title"):
            region = modal.query_one(selector).region
            assert region.height and screen.contains_region(region), selector
        await pilot.press(*"arc-platform", "enter")
        await wait_for(pilot, lambda: modal.phase == "done")
        assert app.session.reader.read().service("redis").state.value == "stopped"
