"""`postgres_dsn` and `redis_url`: typed settings, validated, used by discovery, redacted."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from arctui.config.errors import ConfigError
from arctui.config.masking import MASK
from arctui.config.settings import Settings, load_settings
from arctui.models import ComposeModel
from arctui.session import Session
from arctui.stack.reader import StackReader

PG_PW = "Pg-Outside-7781"
REDIS_PW = "Rd-Outside-4413"
# Port 1 on loopback: nothing listens, the connection is refused at once.
DSN = f"postgresql://ops:{PG_PW}@127.0.0.1:1/arc_db"
URL = f"redis://:{REDIS_PW}@127.0.0.1:1/2"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


class _Engine:
    endpoint = "fake"

    def containers(self, project: str, known=None) -> list:
        return []

    def container(self, project: str, cid: str) -> None:
        return None

    def follow_events(self, project, on_event, stop, since=None) -> None:
        return None

    def close(self) -> None:
        return None


class _Compose:
    def model(self) -> ComposeModel:
        return ComposeModel(project="arc-platform")


def session_with(settings: Settings) -> Session:
    return Session(
        env="dev",
        production=False,
        project="arc-platform",
        settings=settings,
        reader=StackReader("arc-platform", _Engine(), _Compose()),
        read_only=True,
        environ={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
    )


# Loading ---------------------------------------------------------------------------


def test_both_load_as_typed_fields_and_per_environment(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.yaml",
        f"postgres_dsn: {DSN}\nredis_url: {URL}\n"
        "envs:\n  prod: {postgres_dsn: 'postgres://p:x@10.0.0.9/prod', redis_url: 'rediss://h:6380'}\n",
    )
    s = load_settings(path)
    assert s.postgres_dsn == DSN and s.redis_url == URL
    prod = s.for_env("prod")
    assert prod.postgres_dsn == "postgres://p:x@10.0.0.9/prod"
    assert prod.redis_url == "rediss://h:6380"
    assert Settings().postgres_dsn is None and Settings().redis_url is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"postgres_dsn: mysql://u:{PG_PW}@h/db", "not scheme 'mysql'"),
        (f"postgres_dsn: 'host=h password={PG_PW}'", "postgresql:// or postgres:// URL"),
        (f"postgres_dsn: postgresql://u:{PG_PW}@h:99999/db", "does not parse"),
        ("postgres_dsn: 5432", "postgresql:// or postgres:// URL"),
        (f"redis_url: http://:{REDIS_PW}@h:6379", "not scheme 'http'"),
        (f"redis_url: redis://:{REDIS_PW}@h:6379/cache", "database number"),
        (f"redis_url: 'redis://:{REDIS_PW}@/0'", "with a host"),
        (f"envs:\n  prod:\n    redis_url: redis://:{REDIS_PW}@h:0", "'envs.prod.redis_url'"),
    ],
)
def test_bad_values_are_refused_without_echoing_the_password(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path / "s.yaml", text + "\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path).for_env("prod")
    message = str(info.value)
    assert expected in message
    assert PG_PW not in message and REDIS_PW not in message


# Redaction ---------------------------------------------------------------------------


def test_the_passwords_are_known_to_the_sessions_redactor() -> None:
    encoded = "p%40ss-w0rd-99"  # `p@ss-w0rd-99` percent-encoded in the URL
    settings = Settings(
        postgres_dsn=f"postgresql://ops:{encoded}@db/x?sslmode=require",
        redis_url=URL,
        envs={"prod": {"postgres_dsn": "postgresql://h/x?password=Qs-Param-5150"}},
    )
    session = session_with(settings)
    text = f"bare p@ss-w0rd-99, {encoded}, {REDIS_PW} and Qs-Param-5150 in free text"
    redacted = session.redactor.redact(text)
    for secret in ("p@ss-w0rd-99", encoded, REDIS_PW, "Qs-Param-5150"):
        assert secret not in redacted
    assert redacted.count(MASK) == 4
    assert PG_PW not in repr(Settings(postgres_dsn=DSN))


# Discovery and the headless printers --------------------------------------------------


def test_the_dsn_reaches_postgres_discovery_and_its_error_is_redacted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from arctui.tabs.postgres.cli import run

    session = session_with(Settings(postgres_dsn=DSN))
    code = run(session, argparse.Namespace(json=True, limit=5))
    err = capsys.readouterr().err
    assert code == 1
    assert "DSN from settings" in err and "@127.0.0.1:1/arc_db" in err  # the settings' server
    assert PG_PW not in err


def test_the_dsn_is_the_postgres_target() -> None:
    from arctui.tabs.postgres.reader import reader_for

    reader = reader_for(session_with(Settings(postgres_dsn=DSN)))
    try:
        target = reader.connection().target
    finally:
        reader.close()
    assert target.dsn == DSN and target.origins["dsn"] == "settings"
    assert PG_PW in target.secrets() and PG_PW not in target.describe()


def test_the_url_reaches_redis_discovery_and_the_command_line_wins() -> None:
    from arctui.tabs.redis.reader import source_for

    session = session_with(Settings(redis_url=URL))
    source, origin = source_for(session)
    t = source.target  # type: ignore[attr-defined]
    assert (t.host, t.port, t.db, t.password) == ("127.0.0.1", 1, 2, REDIS_PW)
    assert "the settings" in origin and REDIS_PW not in origin
    source, _ = source_for(session, "redis://127.0.0.1:2/0")
    assert source.target.port == 2  # type: ignore[attr-defined]


def test_redis_error_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    from arctui.tabs.redis.cli import run

    session = session_with(Settings(redis_url=URL))
    code = run(session, argparse.Namespace(json=True, url=None, redis_command=None))
    captured = capsys.readouterr()
    assert code == 1
    assert REDIS_PW not in captured.err + captured.out


def test_an_unset_override_stays_valid_json_in_the_diagnostics() -> None:
    import json

    from arctui.config.masking import mask_patterns

    text = json.dumps({"postgres_dsn": None, "db_password": "x-Secret-1"})
    masked = json.loads(mask_patterns(text))  # `"postgres_dsn": null` was masked bare
    assert masked == {"postgres_dsn": None, "db_password": MASK}
