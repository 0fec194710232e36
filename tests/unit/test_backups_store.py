"""The backup directory: manifests, names, permissions, orphans, partials, the lock."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from arctui.ops.backups.common import BackupError
from arctui.ops.backups.pg_verify import _TABLE_DATA, _VERSION
from arctui.ops.backups.redis import check_rdb, keyspace_keys, parse_info, restore_script
from arctui.ops.backups.store import BackupStore, Manifest, make_id


def manifest(backup_id: str, at: float = 1000.0) -> Manifest:
    return Manifest(
        id=backup_id,
        kind="postgres",
        file=f"{backup_id}.dump",
        env="prod",
        project="p",
        service="db",
        container="c",
        created_at=at,
        duration_s=1.0,
        size=3,
        sha256="a" * 64,
        verified=True,
        tables=("public.t",),
    )


def test_ids_carry_env_service_and_utc_time_and_are_safe() -> None:
    assert make_id("prod", "arc-oracle-sql", 0) == "prod_arc-oracle-sql_19700101T000000Z"
    assert make_id("my env", "a_b/c", 0) == "my-env_a-b-c_19700101T000000Z"


def test_manifest_round_trip_and_0600(tmp_path: Path) -> None:
    store = BackupStore(tmp_path / "b")
    store.ensure()
    assert stat.S_IMODE((tmp_path / "b").stat().st_mode) == 0o700
    (store.directory / "x.dump").write_bytes(b"abc")
    store.save(manifest("x"))
    path = store.manifest_path("x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.backups() == [manifest("x")]
    data = json.loads(path.read_text())
    data["from_a_newer_arctui"] = 1
    path.write_text(json.dumps(data))
    assert store.get("x").tables == ("public.t",)


def test_data_without_manifest_is_unverified_and_partials_are_hidden(tmp_path: Path) -> None:
    store = BackupStore(tmp_path)
    (tmp_path / "prod_db_20260101T000000Z.dump").write_bytes(b"PGDMP")
    (tmp_path / ".prod_db_20260102T000000Z.dump.partial").write_bytes(b"PGDMP")
    (tmp_path / "garbage.json").write_text("{not json")
    [only] = store.backups()
    assert only.id == "prod_db_20260101T000000Z" and not only.verified and only.service == "db"
    assert [p.name for p in store.stale_partials()] == [".prod_db_20260102T000000Z.dump.partial"]


def test_get_by_prefix_and_errors(tmp_path: Path) -> None:
    store = BackupStore(tmp_path)
    for name in ("prod_db_1", "prod_db_2", "prod_cache_1"):
        store.save(manifest(name))
    assert store.get("prod_cache").id == "prod_cache_1"
    with pytest.raises(BackupError, match="matches 2"):
        store.get("prod_db")
    with pytest.raises(BackupError, match="no backup"):
        store.get("nope")
    with pytest.raises(BackupError, match="not a backup id"):
        store.get("../etc/passwd")


def test_delete_removes_data_and_manifest(tmp_path: Path) -> None:
    store = BackupStore(tmp_path)
    (tmp_path / "x.dump").write_bytes(b"abc")
    store.save(manifest("x"))
    store.delete(store.get("x"))
    assert list(tmp_path.iterdir()) == []


def test_the_lock_is_exclusive(tmp_path: Path) -> None:
    store = BackupStore(tmp_path)
    with store.locked(), pytest.raises(BackupError, match="another backup"), store.locked():
        pass
    with store.locked():  # released
        pass


def test_run_log(tmp_path: Path) -> None:
    store = BackupStore(tmp_path / "b")
    store.record_run({"action": "backup", "outcome": "ok"})
    store.record_run({"action": "drill", "outcome": "failed"})
    (tmp_path / "b" / "runs.jsonl").open("a").write("torn line\n")
    assert [r["action"] for r in store.runs()] == ["backup", "drill"]


def test_pg_restore_list_parsing() -> None:
    listing = """;
; Archive created at 2026-12-01 14:00:00 UTC
;     dbname: arc_db
;     Dumped from database version: 15.14 (Debian 15.14-0+deb12u1)
;     Dumped by pg_dump version: 15.14 (Debian 15.14-0+deb12u1)
;
215; 1259 16390 TABLE public items arc
3350; 0 16390 TABLE DATA public items arc
3351; 0 16399 TABLE DATA app events arc
3352; 0 0 SEQUENCE SET public items_id_seq arc
"""
    assert _VERSION.search(listing).group(1) == "15.14"
    assert _TABLE_DATA.findall(listing) == [("public", "items"), ("app", "events")]


def test_redis_info_parsing() -> None:
    info = parse_info(
        "# Persistence\r\nrdb_bgsave_in_progress:0\r\n# Keyspace\r\n"
        "db0:keys=10,expires=2,avg_ttl=5\r\ndb3:keys=5,expires=0,avg_ttl=0\r\n"
    )
    assert info["rdb_bgsave_in_progress"] == "0"
    assert keyspace_keys(info) == (15, 2)


def test_rdb_header_check(tmp_path: Path) -> None:
    bad = tmp_path / "bad.rdb"
    bad.write_bytes(b"PGDMP" + b"\0" * 40)
    assert not check_rdb(bad).ok
    tiny = tmp_path / "tiny.rdb"
    tiny.write_bytes(b"REDIS0011")
    assert not check_rdb(tiny).ok


def test_restore_script_hands_redis_the_backup_as_the_aof_base() -> None:
    script = restore_script("/data", "dump.rdb", True, "appendonlydir", "appendonly.aof", "T1")
    assert "mv appendonlydir appendonlydir.pre-restore-T1" in script
    assert "appendonlydir/appendonly.aof.1.base.rdb" in script
    assert "file %s seq 1 type b" in script
    assert script.index("cat > .arctui-restore.rdb.partial") < script.index("mv appendonlydir")
    plain = restore_script("/data", "dump.rdb", False, "", "appendonly.aof", "T1")
    assert "appendonly" not in plain
