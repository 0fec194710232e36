"""The diagnostics bundle of a real project holds no byte of any env-file secret.

The fault project's API prints its DATABASE_URL (with the Postgres password) and its
API token to its log, compose's rendered config holds every interpolated secret, and
the containers' environment holds them too: the bundle is searched, extracted, for
each secret value the env files define.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tarfile
from pathlib import Path

from tests.integration.faults import (
    API_TOKEN,
    PG_PASSWORD,
    Faults,
)
from tests.integration.stack import RunningStack


def _env_secrets(faults: Faults) -> list[str]:
    session = faults.session()
    assert session.env_layers is not None
    secrets = session.env_layers.secret_values()
    assert PG_PASSWORD in secrets and API_TOKEN in secrets  # the test would prove nothing
    return secrets


def test_bundle_has_no_secret_and_reports_what_it_masked(faults: Faults, tmp_path: Path) -> None:
    out = tmp_path / "bundle.tar.gz"
    proc = faults.cli("diagnostics", "-o", str(out), "--log-lines", "50", "--json", timeout=240)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with tarfile.open(out) as tar:
        members = tar.getmembers()
        assert all(m.isreg() for m in members)  # no links of any kind
        assert all(stat.S_IMODE(m.mode) == 0o600 for m in members)
        tar.extractall(tmp_path / "x", filter="data")
    names = {m.name.removeprefix("arc-diagnostics/") for m in members}
    for want in (
        "services.txt",
        "resources.txt",
        "volumes.txt",
        "networks.txt",
        "postgres_dbs.txt",
        "redis_info.txt",
        "health.json",
        "compose-config.yml",
        "arctui.json",
        "REDACTION.txt",
        "logs/api.log",
        "logs/kratos.log",
    ):
        assert want in names, names
    blob = b"".join(p.read_bytes() for p in (tmp_path / "x").rglob("*") if p.is_file())
    for secret in _env_secrets(faults):
        assert secret.encode() not in blob, (
            f"a secret of the env files is in the bundle ({len(secret)} chars)"
        )
    # What was there is still there, masked: the API's log line and the databases.
    api_log = (tmp_path / "x" / "arc-diagnostics" / "logs" / "api.log").read_text()
    assert "connecting to postgres://arc:" in api_log and "with token" in api_log
    dbs = (tmp_path / "x" / "arc-diagnostics" / "postgres_dbs.txt").read_text()
    assert "arc_db" in dbs
    report = (tmp_path / "x" / "arc-diagnostics" / "REDACTION.txt").read_text()
    assert "logs/api.log" in report
    assert summary["failed"] == []
    assert summary["redactions"]["logs/api.log"]["known"] >= 1
    assert summary["redactions"]["compose-config.yml"]["known"] >= 1


def test_a_symlink_at_the_path_is_refused_and_its_target_untouched(
    faults: Faults, tmp_path: Path
) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / "bundle.tar.gz"
    os.symlink(target, link)
    proc = faults.cli("diagnostics", "-o", str(link), "--log-lines", "5")
    assert proc.returncode == 1
    assert "symlink" in proc.stderr
    assert target.read_text() == "keep me" and link.is_symlink()
    assert faults.cli("diagnostics", "--log-lines", "-3").returncode == 2


def test_redis_info_key_counters_are_not_masked(test_stack: RunningStack) -> None:
    """The test stack's real Redis: INFO's `*_keys` counters are numbers, not secrets."""
    from arctui.ops.diagnostics import _Builder, _redis
    from tests.integration.test_redis_live import _session

    session = _session(test_stack)
    b = _Builder(session)
    b.section("redis_info.txt", lambda: _redis(session))
    info = b.members["arc-diagnostics/redis_info.txt"].decode()
    assert b.problems == [], b.problems
    for counter in ("expired_keys", "evicted_keys", "tracking_total_keys"):
        assert re.search(rf"^{counter}:\d+$", info, re.M), (counter, info[:300])
