"""Issue 9, points 3, 4, 8 and 9 without a terminal: themes, keymaps, exit codes, messages,
and what a cancelled action really did."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from arctui.cli import build_parser, main
from arctui.models import ContainerInfo
from arctui.ops.lifecycle import plan_action
from arctui.ops.readback import assess, read_back
from arctui.ops.runner import ActionResult, Outcome
from arctui.ui.theming import ThemeFileError, check_keymap, is_key_name, load_themes
from tests.unit.test_lifecycle import FakeEngine, containers, make_session

REPO = Path(__file__).resolve().parents[2]


# Point 3: themes ---------------------------------------------------------------------------
def write_theme(tmp_path: Path, name: str, body: str) -> None:
    folder = tmp_path / "config" / "arctui" / "themes"  # XDG_CONFIG_HOME from conftest
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(body)


@pytest.mark.parametrize(
    "body, why",
    [
        ('name: bad\nprimary: "notacolor"\n', "primary 'notacolor' is not a colour"),
        ('name: bad\nprimary: "#112233"\nvariables:\n  status-up: "red } x"\n', "not CSS"),
        ('name: bad\nprimary: "#112233"\nvariables:\n  status-up: "nocolour"\n', "not a colour"),
        ('name: bad\nprimary: "#112233"\nsurface: "rgb(1,2)"\n', "surface"),
        ('name: bad\nprimary: "#112233"\nvariables:\n  "a b{": "#fff"\n', "not a CSS name"),
    ],
)
def test_a_bad_theme_is_reported_and_not_loaded(tmp_path, body, why):
    write_theme(tmp_path, "bad", body)
    themes, errors = load_themes()
    assert "bad" not in {t.name for t in themes}
    [error] = [e for e in errors if "bad.yaml" in e]
    assert why in error
    assert {"arc-dark", "arc-light", "arc-mono"} <= {t.name for t in themes}


def test_theme_errors_are_theme_file_errors():
    from textual.theme import Theme

    from arctui.ui.theming import validate_theme

    with pytest.raises(ThemeFileError):
        validate_theme(Theme(name="x", primary="#fff", variables={"role": "}"}))


# Point 8: keymaps, exit codes, coercions -------------------------------------------------
def test_keymap_problems_are_reported_and_quit_keeps_its_key():
    known = {"app.quit", "app.refresh", "services.restart"}
    usable, problems = check_keymap(
        {
            "app.refresh": "q",  # would take quit's key
            "services.nope": "x",  # unknown id
            "services.restart": "ctrl+notakey",  # bad key name
            "app.quit": "",  # quit may not be unbound
        },
        known,
    )
    assert usable == {}
    text = "\n".join(problems)
    assert "unknown binding id 'services.nope'" in text
    assert "ctrl+notakey is not a key name" in text
    assert "app.quit: nothing is not a key name" in text
    assert "app.refresh: q is the quit key" in text
    usable, problems = check_keymap({"app.refresh": "f5", "app.quit": "ctrl+w"}, known)
    assert usable == {"app.refresh": "f5", "app.quit": "ctrl+w"} and not problems
    assert all(is_key_name(k) for k in ("q", "R", "ctrl+r", "f5", "escape", "left_square_bracket"))
    assert not any(is_key_name(k) for k in ("", "ctrl+", "hyperdrive", "ctl+r"))


@pytest.mark.parametrize("argv", [["stop", "x", "-t", "-5"], ["restart", "-t", "1.5"]])
def test_negative_or_fractional_stop_timeouts_are_errors(argv, capsys):
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(argv)
    assert info.value.code == 2
    assert "seconds must be a whole number >= 0" in capsys.readouterr().err


def test_plan_action_refuses_a_negative_stop_timeout(tmp_path):
    from arctui.ops.lifecycle import ActionError

    with pytest.raises(ActionError, match="0 seconds or more"):
        plan_action(make_session(tmp_path), "stop", "raymond", timeout=-5)
    assert plan_action(make_session(tmp_path), "stop", "raymond", timeout=0).command[-3:] == (
        "-t",
        "0",
        "raymond",
    )


@pytest.mark.parametrize("reader", ["head -1", "true"])  # `true` never reads: EPIPE for sure
def test_status_piped_into_head_exits_without_a_traceback(reader):
    proc = subprocess.run(
        f"{sys.executable} -m arctui --demo status | {reader}",
        shell=True,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert proc.stdout.startswith("SERVICE") or reader == "true"
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr


def test_readme_documents_exit_code_3():
    readme = (REPO / "README.md").read_text()
    assert "3 when the engine" in readme


# Point 9: messages -------------------------------------------------------------------------
def test_project_dir_naming_a_file_and_f_naming_a_device_say_so(tmp_path, capsys):
    afile = tmp_path / "hostname"
    afile.write_text("x")
    assert main(["--project-dir", str(afile), "status"]) == 2
    assert "is not a directory" in capsys.readouterr().err
    assert main(["--project-dir", str(tmp_path), "-f", "/dev/zero", "status"]) == 2
    err = capsys.readouterr().err
    assert "not a regular file" in err and "not found" not in err


def test_headless_commands_warn_about_a_missing_env_file(tmp_path, capsys, monkeypatch):
    (tmp_path / "docker-compose.yml").write_text("services: {}\n")
    (tmp_path / ".env").write_text("A=1\n")
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    main(["--project-dir", str(tmp_path), "--env", "prdo", "status"])
    assert "expected env file not found: .env.prdo" in capsys.readouterr().err


# Point 4: a cancelled action read back from the engine --------------------------------------
def ctr(state: str, started: float, cid: str = "r1") -> ContainerInfo:
    return ContainerInfo(
        id=cid, name=cid, project="arc-platform", service="raymond", image="i",
        state=state, started_at=started,
    )  # fmt: skip


def test_assess_tells_none_partial_and_done_apart(tmp_path):
    action = plan_action(make_session(tmp_path), "restart", "raymond")
    before = {"r1": ctr("running", 100.0), "r2": ctr("running", 100.0, "r2")}
    assert assess(action, before, dict(before))[0] == "none"
    one = {"r1": ctr("running", 200.0), "r2": ctr("running", 100.0, "r2")}
    assert assess(action, before, one)[0] == "partial"
    both = {"r1": ctr("running", 200.0), "r2": ctr("running", 201.0, "r2")}
    assert assess(action, before, both)[0] == "done"
    stop = plan_action(make_session(tmp_path), "stop", "raymond")
    assert assess(stop, before, {k: ctr("exited", 100.0, k) for k in before})[0] == "done"


def test_read_back_rewrites_a_cancelled_result(tmp_path):
    engine = FakeEngine(containers())
    session = make_session(tmp_path, engine)
    action = plan_action(session, "restart", "raymond")
    before = {c.id: c for c in containers() if c.service == "raymond"}
    cancelled = ActionResult(Outcome.CANCELLED, -2, 8.0, (), "cancelled: stopped")
    result = read_back(session, action, before, cancelled, sleep=lambda s: None)
    assert result.outcome is Outcome.CANCELLED and "before it changed anything" in result.message
    engine.items = [
        dataclasses.replace(c, started_at=999.0) if c.service == "raymond" else c
        for c in containers()
    ]
    result = read_back(session, action, before, cancelled, sleep=lambda s: None)
    assert result.outcome is Outcome.OK and "too late" in result.message
