"""Plain-SQL gzip Postgres backups: verification of good and damaged files, settings, CLI."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path

import pytest

from arctui.cli import build_parser, main
from arctui.config.backups import check_backup_settings
from arctui.config.errors import ConfigError
from arctui.config.settings import Settings, load_settings
from arctui.ops.audit import AuditLog
from arctui.ops.backups import pg_dump, pg_verify
from arctui.ops.backups import postgres as pg
from arctui.ops.backups.common import BackupError, Completed, sha256_file
from arctui.ops.backups.store import BackupStore, Manifest
from arctui.session import demo_session
from arctui.tabs.backups import cli

# What pg_dump 15.14+ prints (with the \restrict lines of CVE-2025-8714).
HEAD = (
    "--\n-- PostgreSQL database dump\n--\n\n\\restrict abc123\n\n"
    "-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)\n"
    "-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)\n\n"
    "SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n\n"
)
TABLE = (
    "--\n-- Data for Name: {t}; Type: TABLE DATA; Schema: public; Owner: arc\n--\n\n"
    "COPY public.{t} (id, name) FROM stdin;\n{rows}\\.\n\n\n"
)
TAIL = "--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc123\n\n"


def dump_text(rows: int = 20000) -> str:
    data = "".join(f"{i}\tname {i} {i * 7919 % 104729}\n" for i in range(rows))
    return HEAD + TABLE.format(t="items", rows=data) + TABLE.format(t="empty", rows="") + TAIL


def write(path: Path, text: str) -> Path:
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw) as f:
        f.write(text.encode())
    return path


def test_a_good_dump_verifies_with_version_and_tables(tmp_path: Path) -> None:
    path = write(tmp_path / "good.sql.gz", dump_text())
    version, tables, detail = pg_verify.verify_sql(path)
    assert version == "15.18"
    assert tables == ("public.items", "public.empty")
    assert "CRC OK" in detail and "2 tables with data" in detail


def test_every_table_is_found_whatever_the_block_edges(tmp_path: Path, monkeypatch) -> None:
    text = HEAD + "".join(TABLE.format(t=f"t{n}", rows=f"{n}\tx\n") for n in range(12)) + TAIL
    path = write(tmp_path / "many.sql.gz", text)
    monkeypatch.setattr(pg, "BLOCK", 37)  # headers and lines cut across reads
    assert pg_verify.verify_sql(path)[1] == tuple(f"public.t{n}" for n in range(12))


def test_a_truncated_gzip_fails(tmp_path: Path) -> None:
    data = write(tmp_path / "x", dump_text()).read_bytes()
    path = tmp_path / "cut.sql.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(BackupError, match=r"gzip stream is damaged.*ended before"):
        pg_verify.verify_sql(path)
    path.write_bytes(data[:-4])  # only the length field of the trailer missing
    with pytest.raises(BackupError, match="gzip stream is damaged"):
        pg_verify.verify_sql(path)


def test_a_corrupt_gzip_fails(tmp_path: Path) -> None:
    data = bytearray(write(tmp_path / "x", dump_text()).read_bytes())
    crc = bytearray(data)
    crc[-8] ^= 0xFF  # the stored CRC-32
    path = tmp_path / "crc.sql.gz"
    path.write_bytes(bytes(crc))
    with pytest.raises(BackupError, match="CRC check failed"):
        pg_verify.verify_sql(path)
    middle = bytearray(data)
    for i in range(len(data) // 2, len(data) // 2 + 64):
        middle[i] ^= 0x5A
    path.write_bytes(bytes(middle))
    with pytest.raises(BackupError, match="gzip stream is damaged"):
        pg_verify.verify_sql(path)
    path.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(200))  # a custom-format archive
    with pytest.raises(BackupError, match="gzip stream is damaged"):
        pg_verify.verify_sql(path)


def test_an_incomplete_dump_in_a_valid_gzip_fails(tmp_path: Path) -> None:
    text = dump_text()
    path = write(tmp_path / "partial.sql.gz", text[: len(text) // 2])
    with pytest.raises(BackupError, match="incomplete"):
        pg_verify.verify_sql(path)
    write(path, text.replace("dump complete", "dump compl"))
    with pytest.raises(BackupError, match="incomplete"):
        pg_verify.verify_sql(path)


def test_pg_dump_of_a_missing_database_through_gzip_fails(tmp_path: Path) -> None:
    # `pg_dump nosuchdb | gzip` exits 0 and leaves a ~20-byte valid gzip of nothing.
    path = write(tmp_path / "empty.sql.gz", "")
    assert path.stat().st_size < 40
    with pytest.raises(BackupError, match="no pg_dump header"):
        pg_verify.verify_sql(path)
    write(path, "SELECT 1;\n" + TAIL)
    with pytest.raises(BackupError, match="no pg_dump header"):
        pg_verify.verify_sql(path)


def test_pg_dump_error_lines_are_found_even_with_exit_0() -> None:
    done = Completed(
        ("pg_dump",),
        0,
        b"",
        'pg_dump: warning: x\npg_dump: error: connection failed: FATAL:  database "n" does not'
        " exist\n",
        0.1,
    )
    assert pg_dump.dump_errors(done) == [
        'pg_dump: error: connection failed: FATAL:  database "n" does not exist'
    ]
    assert pg_dump.dump_errors(replace(done, stderr="pg_dump: warning: x\n")) == []


def sql_manifest(path: Path, digest: str) -> Manifest:
    return Manifest(
        id=path.name.removesuffix(".sql.gz"),
        kind="postgres",
        file=path.name,
        env="e",
        project="p",
        service="db",
        container="c",
        created_at=1.0,
        duration_s=1.0,
        size=path.stat().st_size,
        sha256=digest,
        verified=True,
        format="sql",
    )


def test_verify_again_checks_sha256_then_the_sql_checks(tmp_path: Path) -> None:
    path = write(tmp_path / "e_db_1.sql.gz", dump_text(100))
    good = sql_manifest(path, sha256_file(path))
    target = None  # a "sql" backup is checked here, never in the container
    again = pg_verify.reverify(target, path, good, None, lambda _: None)  # type: ignore[arg-type]
    assert again.verified and again.verify_detail.startswith("sha256 OK; full gzip read")
    path.write_bytes(path.read_bytes()[:-10])
    bad = pg_verify.reverify(target, path, good, None, lambda _: None)  # type: ignore[arg-type]
    assert not bad.verified and bad.verify_detail.startswith("sha256 mismatch")
    truncated = pg_verify.reverify(target, path, sql_manifest(path, sha256_file(path)), None, print)  # type: ignore[arg-type]
    assert not truncated.verified and "gzip stream is damaged" in truncated.verify_detail


def test_the_store_names_and_lists_sql_backups(tmp_path: Path) -> None:
    store = BackupStore(tmp_path)
    assert store.data_path("e_db_1", "postgres", "sql").name == "e_db_1.sql.gz"
    assert store.data_path("e_db_1", "postgres").name == "e_db_1.dump"
    assert store.partial_path("e_db_1", "postgres", "sql").name == ".e_db_1.sql.gz.partial"
    path = write(tmp_path / "e_db_20260101T000000Z.sql.gz", dump_text(10))
    write(tmp_path / ".e_db_20260101T000001Z.sql.gz.partial", "")
    (orphan,) = store.backups()
    assert (orphan.id, orphan.file, orphan.format) == (path.name[:-7], path.name, "sql")
    assert not orphan.verified
    store.save(replace(sql_manifest(path, sha256_file(path)), id=orphan.id))
    (listed,) = store.backups()
    assert listed.verified and listed.format == "sql"
    store.delete(listed)
    assert not path.exists() and not store.manifest_path(listed.id).exists()


def test_the_setting_takes_custom_or_sql_only(tmp_path: Path) -> None:
    assert check_backup_settings({"postgres_format": "sql"}).postgres_format == "sql"
    assert check_backup_settings({"postgres_format": "custom"})
    with pytest.raises(ValueError, match="postgres_format must be custom or sql"):
        check_backup_settings({"postgres_format": "plain"})
    bad = tmp_path / "settings.yaml"
    bad.write_text("backups:\n  postgres_format: tar\n")
    with pytest.raises(ConfigError, match="postgres_format"):
        load_settings(bad)


def test_a_bad_format_setting_exits_2(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "settings.yaml"
    bad.write_text("backups:\n  postgres_format: tar\n")
    assert main(["--settings", str(bad), "--demo", "backup", "list"]) == 2
    assert "postgres_format" in capsys.readouterr().err


def test_the_cli_format_option(capsys) -> None:
    parse = build_parser().parse_args
    assert parse(["backup", "postgres", "--format", "sql"]).pg_format == "sql"
    assert parse(["backup", "all", "--format", "custom"]).pg_format == "custom"
    assert parse(["backup", "postgres"]).pg_format is None
    for argv in (["backup", "postgres", "--format", "tar"], ["backup", "redis", "--format", "sql"]):
        with pytest.raises(SystemExit) as exited:
            parse(argv)
        assert exited.value.code == 2
    assert "invalid choice: 'tar'" in capsys.readouterr().err


def test_the_format_reaches_the_audited_command_in_the_demo() -> None:
    session = demo_session(Settings())
    args = build_parser().parse_args(["backup", "all", "--format", "sql"])
    assert cli.run(session, args, ask=lambda _p: "", interactive=False) == 0
    commands = [e["command"] for e in AuditLog().read(raw=True) if e["outcome"] == "started"]
    assert commands == ["arctui backup postgres --format sql", "arctui backup redis"]


def test_a_bad_format_passed_to_the_ops_is_refused() -> None:
    from arctui.ops.backups import run as ops
    from arctui.ops.runner import Outcome

    result = ops.backup(ops.Context.of(demo_session(Settings())), "postgres", "tar")
    assert result.outcome is Outcome.REFUSED and "unknown Postgres backup format" in result.message
    assert json.dumps(result.message)
