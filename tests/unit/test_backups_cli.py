"""Headless backup commands over the demo platform: guards, confirmations, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arctui.cli import build_parser, main
from arctui.config.errors import ConfigError
from arctui.config.settings import Settings, load_settings
from arctui.ops.audit import AuditLog
from arctui.session import demo_session
from arctui.tabs.backups import cli


def run(
    argv: list[str],
    env: str = "demo",
    read_only: bool = False,
    answers: list[str] | None = None,
    tty: bool = True,
) -> int:
    session = demo_session(Settings(), env=env, read_only=read_only)
    replies = iter(answers or [])
    args = build_parser().parse_args(argv)
    return cli.run(session, args, ask=lambda _prompt: next(replies), interactive=tty)


def outcomes() -> list[tuple[str, str]]:
    return [(e["action"], e["outcome"]) for e in AuditLog().read(raw=True)]


def test_list_json_over_the_demo(capsys) -> None:
    assert main(["--demo", "backup", "list", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    statuses = {r["datastore"]: r["status"] for r in out["rpo"]}
    assert statuses == {"postgres/arc-oracle-sql": "green", "redis/arc-sonic-cache": "amber"}
    assert [b["verified"] for b in out["backups"]].count(False) == 1


def test_backup_all_is_audited_and_simulated_in_the_demo() -> None:
    assert run(["backup", "all"]) == 0
    assert outcomes() == [("backup", "started"), ("backup", "simulated")] * 2


def test_restore_needs_the_typed_project_name() -> None:
    assert run(["restore", "x"], answers=["wrong"]) == 2
    assert outcomes() == [("restore", "refused")]
    assert run(["restore", "x"], answers=["arc-platform"]) == 0
    assert outcomes()[-1] == ("restore", "simulated")


def test_restore_off_a_terminal_needs_yes() -> None:
    assert run(["restore", "x"], tty=False) == 2
    assert run(["restore", "x", "--yes"], tty=False) == 0


def test_production_restore_needs_the_flag_and_the_env_name() -> None:
    assert run(["restore", "x", "--yes"], env="prod") == 2
    assert outcomes()[-1] == ("restore", "refused")
    assert "production" in AuditLog().read()[-1]["detail"]
    assert (
        run(
            ["restore", "x", "--i-know-this-is-production"],
            env="prod",
            answers=["arc-platform", "staging"],
        )
        == 2
    )
    assert (
        run(
            ["restore", "x", "--i-know-this-is-production"],
            env="prod",
            answers=["arc-platform", "prod"],
        )
        == 0
    )
    assert run(["restore", "x", "--yes", "--i-know-this-is-production"], env="prod") == 0


def test_delete_is_guarded_like_restore() -> None:
    assert run(["backup", "delete", "x"], env="prod", tty=False) == 2
    assert run(["backup", "delete", "x", "--yes", "--i-know-this-is-production"], env="prod") == 0


def test_read_only_refuses_mutations_but_lists() -> None:
    for argv in (
        ["backup", "postgres"],
        ["restore", "x", "--yes"],
        ["drill"],
        ["backup", "prune", "--yes"],
        ["backup", "delete", "x", "--yes"],
    ):
        assert run(argv, read_only=True) == 2, argv
    assert {o for _, o in outcomes()} == {"refused"}
    assert run(["backup", "list"], read_only=True) == 0


def test_settings_backups_key_is_validated(tmp_path: Path) -> None:
    good = tmp_path / "s.yaml"
    good.write_text("backups:\n  dir: /srv/backups\n  keep_days: 7\n  rpo_minutes: 15\n")
    backups = load_settings(good).backups
    assert (backups.directory, backups.keep_days, backups.rpo_s) == (Path("/srv/backups"), 7, 900)
    bad = tmp_path / "bad.yaml"
    bad.write_text("backups:\n  keep_dayz: 7\n")
    with pytest.raises(ConfigError, match="keep_dayz"):
        load_settings(bad)
    bad.write_text("backups:\n  rpo_minutes: -1\n")
    with pytest.raises(ConfigError, match="rpo_minutes"):
        load_settings(bad)


def test_backup_dir_defaults_to_the_project_backups(tmp_path: Path) -> None:
    from dataclasses import replace

    from arctui.config.backups import BackupSettings
    from arctui.ops.backups.settings import backup_settings

    session = demo_session(Settings())
    assert backup_settings(session).directory == Path.cwd() / "backups"
    custom = replace(
        session,
        settings=replace(session.settings, backups=BackupSettings(tmp_path, rto_s=600)),
    )
    settings = backup_settings(custom)
    assert settings.directory == tmp_path and settings.rto_s == 600
    # A configured relative dir is under the project, `~` is the home directory.
    path = tmp_path / "s.yaml"
    for configured, want in (("rel/b", Path.cwd() / "rel/b"), ("~/b", Path.home() / "b")):
        path.write_text(f"backups:\n  dir: {configured}\n")
        loaded = replace(session, settings=load_settings(path))
        assert backup_settings(loaded).directory == want
        assert backup_settings(loaded, tmp_path).directory == tmp_path


def test_backup_audit_entries_are_sanitized_and_redacted() -> None:
    """`--env $'st\\xc2\\x9b2J' backup verify <secret>` and `verify $'\\x9b31mX'`."""
    import dataclasses

    secret = "bk-secret-value-5521"
    base = demo_session(Settings(), env="st\x9b2J")
    session = dataclasses.replace(base, environ={"API_TOKEN": secret})
    for backup_id in (secret, "\udc9b31mX"):  # a secret value; argv bytes not UTF-8
        args = build_parser().parse_args(["backup", "verify", backup_id])
        assert cli.run(session, args, interactive=False) == 0
    raw = AuditLog().path.read_bytes()
    text = raw.decode("utf-8")  # strict: no surrogate reached the file
    assert "\x9b" not in text and secret not in text
    entries = AuditLog().read(raw=True)
    assert {e["env"] for e in entries} == {"st\ufffd2J"} or all(
        "\x9b" not in e["env"] for e in entries
    )
    assert "\\x9b31mX" in entries[-1]["target"]
