"""Issue 9, points 1, 2, 6 and 7: secrets and raw escapes at every exit, the audit gate.

Each test here failed before the fix: compose's error text and the action's output
quoted a secret, labels/image/health output were shown in clear, a mutation ran without
its audit line, and headless printers passed escapes, bidi overrides and zero-width
characters straight to the terminal.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from pathlib import Path

import pytest

from arctui.cli import _env, _status, build_parser, main
from arctui.cli_actions import run_action_command
from arctui.config.envfiles import env_layers
from arctui.config.masking import MASK, Redactor, active_redactor
from arctui.config.project import ProjectSpec
from arctui.config.settings import Settings
from arctui.models import ComposeModel, ContainerInfo, HealthCheckResult
from arctui.ops.audit import AuditLog, format_entry
from arctui.ops.lifecycle import plan_action
from arctui.ops.perform import perform
from arctui.ops.runner import Outcome
from arctui.output import emit, emit_json, safe
from arctui.session import Session, demo_session
from arctui.sources.base import SourceError
from arctui.sources.redacting import LearningCompose, LearningContainers
from arctui.stack.reader import StackReader
from arctui.stack.report import status_rows
from arctui.tabs.services.view.presenters import service_detail, service_row
from arctui.text import clean, one_line

ENV_SECRET = "Env-S3cret-4711"  # POSTGRES_PASSWORD in .env
CTR_SECRET = "Ctr-T0ken-0815"  # only in a container's environment
LABEL_SECRET = "Lbl-Pa55-2323"  # only in a secret-named label
HEALTH_SECRET = "Hc-Pw-7777"  # only in health-check output (pattern-masked)
BASIC_HASH = "$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/"
URL_SECRET = "UrlPw-9090"
ALL = (ENV_SECRET, CTR_SECRET, LABEL_SECRET, HEALTH_SECRET, BASIC_HASH, URL_SECRET)


class Engine:
    endpoint = "fake"

    def __init__(self, items: list[ContainerInfo]) -> None:
        self.items = items

    def containers(self, project: str, known=None) -> list[ContainerInfo]:
        return list(self.items)

    def container(self, project: str, cid: str) -> ContainerInfo | None:
        return next((c for c in self.items if c.id == cid), None)

    def follow_events(self, project, on_event, stop, since=None) -> None:
        return None

    def close(self) -> None:
        return None


class Compose:
    def __init__(self, error: str | None = None) -> None:
        self.error = error

    def model(self) -> ComposeModel:
        if self.error:
            raise SourceError(self.error, "fix the compose file")
        return ComposeModel(project="arc-platform")


def hostile_container(**kw) -> ContainerInfo:
    base = dict(
        id="h" * 64,
        name="arc-platform-hostile-1",
        project="arc-platform",
        service="hostile",
        image=f"arctui-test/busybox:{CTR_SECRET}",
        state="running",
        labels={
            "probe.db.password": LABEL_SECRET,
            "traefik.http.middlewares.auth.basicauth.users": f"admin:{BASIC_HASH}",
            "probe.cache.url": f"redis://:{URL_SECRET}@127.0.0.1:6379/0",
            "title": "\x1b]0;pwned\x07[b]markup[/b] \u202eevil\u200b",
        },
        env=(("API_TOKEN", CTR_SECRET), ("LOG_LEVEL", "info")),
        health_log=(HealthCheckResult(0.0, 1.0, 1, f"login failed password={HEALTH_SECRET}"),),
    )
    base.update(kw)
    return ContainerInfo(**base)  # type: ignore[arg-type]


def make_session(
    tmp_path: Path, compose_error: str | None = None, env_text: str = "", **kw
) -> Session:
    (tmp_path / ".env").write_text(f"POSTGRES_PASSWORD={ENV_SECRET}\nPOSTGRES_USER=arc\n{env_text}")
    compose_file = tmp_path / "docker-compose.yml"
    compose_file.write_text("services: {}\n")
    redactor = Redactor()
    engine = LearningContainers(Engine([hostile_container()]), redactor)
    compose = LearningCompose(Compose(compose_error), redactor)
    spec = ProjectSpec(
        project_dir=tmp_path,
        compose_files=(compose_file,),
        project_name="arc-platform",
        env="dev",
        env_files=(tmp_path / ".env",),
    )
    return Session(
        env="dev",
        production=False,
        project="arc-platform",
        settings=Settings(),
        reader=StackReader("arc-platform", engine, compose),
        read_only=False,
        spec=spec,
        env_layers=env_layers(tmp_path, "dev", environ={}),
        environ={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        redactor=redactor,
        **kw,
    )


def assert_clean(text: str) -> None:
    for secret in ALL:
        assert secret not in text, f"{secret!r} leaked"
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text


# Point 1: compose's error text ---------------------------------------------------------
def test_compose_error_quoting_a_secret_is_masked_in_status_and_exits_1(tmp_path, capsys):
    session = make_session(tmp_path, compose_error=f"invalid containerPort: {ENV_SECRET}")
    assert _status(session, as_json=True) == 1  # a compose file that does not render
    out = capsys.readouterr()
    data = json.loads(out.out)
    assert data["compose_error"] == f"invalid containerPort: {MASK}"
    assert_clean(out.out + out.err)
    assert _status(make_session(tmp_path, compose_error="bad"), as_json=False) == 1
    assert_clean(capsys.readouterr().err)


def test_a_partly_rendered_compose_models_problem_is_redacted(tmp_path):
    class Partial:
        def model(self) -> ComposeModel:
            return ComposeModel(project="p", problem=f"x.yml: invalid port {ENV_SECRET}")

    redactor = Redactor([ENV_SECRET])
    model = LearningCompose(Partial(), redactor).model()
    assert model.problem == f"x.yml: invalid port {MASK}"


def test_the_redactor_knows_container_secrets_after_a_read(tmp_path):
    session = make_session(tmp_path)
    assert CTR_SECRET in session.redactor.redact(f"x {CTR_SECRET} y")  # not read yet
    session.reader.read()
    assert session.redactor.redact(f"x {CTR_SECRET} y") == f"x {MASK} y"
    assert session.redactor.redact(f"{LABEL_SECRET}") == MASK
    # The process redactor is the session's: clean() masks known values everywhere.
    assert active_redactor() is session.redactor
    assert clean(f"tag:{CTR_SECRET}") == f"tag:{MASK}"


def test_action_output_result_and_audit_are_redacted(tmp_path):
    session = make_session(tmp_path)
    session.reader.read()
    action = plan_action(session, "restart", "hostile")
    # What compose prints for `ports: ["${POSTGRES_PASSWORD}"]`, then it fails.
    script = f"echo 'invalid containerPort: {ENV_SECRET}'; echo 'token {CTR_SECRET}'; exit 1"
    action = dataclasses.replace(action, command=("sh", "-c", script))
    lines: list[str] = []
    audit = AuditLog()
    result = perform(session, action, lines.append, threading.Event(), audit)
    assert result.outcome is Outcome.FAILED
    assert lines == [f"invalid containerPort: {MASK}", f"token {MASK}"]
    assert_clean(result.message + "\n".join(result.output))
    [entry] = audit.read()
    assert_clean(json.dumps(entry))


def test_headless_action_output_and_failed_line_are_redacted(tmp_path, capsys, monkeypatch):
    session = make_session(tmp_path)
    session.reader.read()
    script = f"echo 'invalid containerPort: {ENV_SECRET}' >&2; exit 1"

    def planned(*args, **kw):
        action = plan_action(*args, **kw)
        return dataclasses.replace(action, command=("sh", "-c", script))

    monkeypatch.setattr("arctui.ops.lifecycle.plan_action", planned)  # imported when used
    args = build_parser().parse_args(["restart", "hostile", "--yes"])
    assert run_action_command(session, args) == 1
    out = capsys.readouterr()
    assert "FAILED:" in out.err and MASK in out.out + out.err
    assert_clean(out.out + out.err)


# Point 2: labels, image, health output ---------------------------------------------------
def test_detail_pane_and_table_row_mask_labels_image_and_health_output(tmp_path):
    session = make_session(tmp_path)
    snapshot = session.reader.read()
    service = snapshot.service("hostile")
    detail = service_detail(service, 10.0).plain
    assert_clean(detail)
    assert "[b]markup[/b]" in detail  # shown literally, not as markup
    assert "<U+202E>" in detail and "<U+200B>" in detail
    assert "admin:" in detail or "basicauth.users = " + MASK in detail
    cells = " ".join(c.plain for c in service_row(service, 10.0).cells)
    assert_clean(cells)
    rows = status_rows(snapshot)
    assert_clean(json.dumps(rows, ensure_ascii=False))


def test_basic_auth_hashes_and_url_passwords_are_masked_as_patterns():
    r = Redactor()
    assert BASIC_HASH not in r.redact(f"users=admin:{BASIC_HASH}")
    assert URL_SECRET not in r.redact(f"redis://:{URL_SECRET}@host:6379")
    assert HEALTH_SECRET not in r.redact(f"password={HEALTH_SECRET}")


# Point 6: the audit gate -----------------------------------------------------------------
def test_a_mutation_does_not_run_when_the_audit_log_cannot_be_written(
    tmp_path, monkeypatch, capsys
):
    blocker = tmp_path / "state-is-a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    session = demo_session(Settings())
    args = build_parser().parse_args(["stop", "postgres", "--yes"])
    assert run_action_command(session, args) == 2
    assert session.reader.read().service("postgres").state.value == "running"
    err = capsys.readouterr().err
    assert "audit log cannot be written" in err and "nothing ran" in err
    # The ops layer refuses too, whoever calls it.
    marker = tmp_path / "ran"
    action = dataclasses.replace(
        plan_action(make_session(tmp_path), "restart", "hostile"),
        command=("touch", str(marker)),
    )
    result = perform(make_session(tmp_path), action, print, threading.Event(), AuditLog())
    assert result.outcome is Outcome.REFUSED and not marker.exists()


def test_audit_command_on_a_broken_state_dir_is_a_clear_error(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    assert main(["audit"]) == 2
    err = capsys.readouterr().err
    assert "cannot read the audit log" in err and "Traceback" not in err


# Point 7: raw escapes from headless printers ------------------------------------------------
def test_audit_printer_sanitizes_every_field(capsys):
    log = AuditLog()
    evil = "\x1b]0;pwned\x07\u202e\u200b\x9b31m"
    assert log.append({"time": evil, "user": evil, "action": evil, "command": evil}) is None
    row, command = format_entry(log.read()[0])
    assert_clean(row + command)
    assert main(["audit"]) == 0
    out = capsys.readouterr().out
    assert_clean(out) and "\x9b" not in out
    assert main(["audit", "--json"]) == 0
    out = capsys.readouterr().out
    assert_clean(out) and json.loads(out)["time"] == evil  # faithful, yet inert


def test_headless_action_does_not_echo_an_escape_in_env(capsys):
    session = demo_session(Settings(), env="x\x1b]0;pwned\x07\u202e")
    args = build_parser().parse_args(["stop", "postgres", "--yes"])
    run_action_command(session, args)
    out = capsys.readouterr()
    assert_clean(out.out + out.err)
    raw = AuditLog().path.read_bytes()  # `cat audit.jsonl` is a terminal exit too
    assert b"pwned" not in raw and "\u202e".encode() not in raw and b"<U+202E>" in raw


def test_env_printer_is_sanitized(tmp_path, capsys):
    session = make_session(tmp_path, env_text="NOTE=a\u202eb\x1b[2Jc\nURL=x://u:pw@h\n")
    assert _env(session, as_json=False) == 0
    assert _env(session, as_json=True) == 0
    out = capsys.readouterr()
    assert_clean(out.out + out.err)


def test_bidi_and_zero_width_are_made_visible():
    assert clean("a\u202eb\u2066c\u200bd\ufeffe") == "a<U+202E>b<U+2066>c<U+200B>d<U+FEFF>e"
    assert one_line("x\u200dy") == "x<U+200D>y"
    assert safe("\x1b]52;c;aGk=\x07ok\u202e") == "ok<U+202E>"


def test_emit_and_emit_json_redact_and_sanitize(capsys):
    r = Redactor([ENV_SECRET])
    emit(f"pw {ENV_SECRET} \x1b[31mred\u202e", redactor=r)
    emit_json({"k": f"{ENV_SECRET}\x1b\u202e"}, redactor=r)
    out = capsys.readouterr().out
    assert_clean(out)
    assert out.startswith(f"pw {MASK} red<U+202E>\n")


@pytest.mark.parametrize("cut", [16 * 1024 - 5, 16 * 1024 - 1])
def test_a_secret_cut_by_the_length_cap_is_masked_whole(cut):
    r = Redactor([ENV_SECRET])
    text = "x" * cut + ENV_SECRET
    assert ENV_SECRET[:5] not in safe(text, r)
