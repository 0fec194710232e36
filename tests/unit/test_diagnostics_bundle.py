"""The bundle on the demo platform: 0600, regular members only, secrets and keys masked."""

from __future__ import annotations

import os
import stat
import tarfile
from pathlib import Path

import pytest

from arctui.ops.diagnostics import DiagnosticsError, _Builder, write_bundle
from arctui.session import demo_session

KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
    "-----END OPENSSH PRIVATE KEY-----"
)


def test_demo_bundle(tmp_path: Path) -> None:
    session = demo_session()
    session.redactor.learn(["demo-pg-s3cret"])
    out = tmp_path / "b.tar.gz"
    result = write_bundle(session, out, log_lines=20)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with tarfile.open(out) as tar:
        members = tar.getmembers()
        data = b"".join(tar.extractfile(m).read() for m in members)  # type: ignore[union-attr]
    assert all(m.isreg() for m in members)
    assert b"demo-pg-s3cret" not in data
    assert "arc-diagnostics/REDACTION.txt" in result.members
    assert any(m.startswith("arc-diagnostics/logs/") for m in result.members)


def test_private_keys_and_known_values_are_counted() -> None:
    session = demo_session()
    session.redactor.learn(["hunter2-hunter2"])
    b = _Builder(session)
    b.add("x.txt", f"key:\n{KEY}\npassword hunter2-hunter2 and postgres://u:pw123456@h/db\n")
    text = b.members["arc-diagnostics/x.txt"].decode()
    assert "b3BlbnNzaC1rZXktdjEAAAAA" not in text and "hunter2-hunter2" not in text
    assert "pw123456" not in text
    r = b.redactions["x.txt"]
    assert (r.private_keys, r.known) == (1, 1) and r.patterns >= 1


def test_symlink_and_bad_paths_are_refused(tmp_path: Path) -> None:
    target = tmp_path / "t"
    target.write_text("x")
    link = tmp_path / "l.tar.gz"
    os.symlink(target, link)
    with pytest.raises(DiagnosticsError, match="symlink"):
        write_bundle(demo_session(), link, log_lines=1)
    with pytest.raises(DiagnosticsError, match="not a directory"):
        write_bundle(demo_session(), tmp_path / "nodir" / "b.tar.gz", log_lines=1)
    assert target.read_text() == "x"


def test_settings_with_backups_are_in_arctui_json(tmp_path: Path) -> None:
    """Read-only mappings in the settings (backups, envs) used to make the member fail."""
    import json

    from arctui.config.settings import load_settings

    path = tmp_path / "settings.yaml"
    path.write_text(f"backups:\n  dir: {tmp_path / 'bk'}\n")
    session = demo_session(load_settings(path))
    b = _Builder(session)
    from arctui.ops.diagnostics import _arctui

    b.section("arctui.json", lambda: _arctui(session))
    info = json.loads(b.members["arc-diagnostics/arctui.json"])
    assert str(tmp_path / "bk") in json.dumps(info["settings"])
    assert b.failed == [] and b.problems == []


def test_a_member_that_fails_makes_the_exit_code_say_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from arctui import cli
    from arctui.ops import diagnostics

    def broken(session: object) -> str:
        raise TypeError("cannot pickle 'mappingproxy' object")

    monkeypatch.setattr(diagnostics, "_arctui", broken)
    out = tmp_path / "b.tar.gz"
    settings = ["--settings", str(tmp_path / "none.yaml")]
    code = cli.main([*settings, "--demo", "diagnostics", "-o", str(out), "--log-lines", "1"])
    err = capsys.readouterr().err
    assert code == 1 and out.exists()
    assert "arctui.json" in err and "TypeError" in err


def test_redis_key_counters_are_not_masked() -> None:
    session = demo_session()
    b = _Builder(session)
    info = (
        "expired_keys:12\nevicted_keys:3\ntracking_total_keys:0\n"
        "slave_expires_tracked_keys:0\napi_key:abcdefgh\n"
    )
    b.add("redis_info.txt", info)
    text = b.members["arc-diagnostics/redis_info.txt"].decode()
    assert "expired_keys:12" in text and "evicted_keys:3" in text
    assert "tracking_total_keys:0" in text and "slave_expires_tracked_keys:0" in text
    assert "abcdefgh" not in text  # a secret-shaped name still masks


def test_redis_section_comes_from_the_registry_source() -> None:
    # ops reaches the Redis tab's source through the registry (TabSpec.source), not its module
    from arctui.ops.diagnostics import _redis
    from arctui.tabs import tab

    session = demo_session()
    assert tab("redis").load_source() is not None
    text = _redis(session)
    assert text.startswith("# demo platform\n")
    assert "used_memory:" in text
