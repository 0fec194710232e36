"""The backups' datastore protocol: the operations ask the kind, never branch on it."""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path
from typing import Any

import pytest

from arctui.ops.backups import datastore as ds
from arctui.ops.backups import drill as drill_mod
from arctui.ops.backups import restore as restore_mod
from arctui.ops.backups import run as ops
from arctui.ops.backups import store as store_mod
from arctui.ops.backups import take as take_mod
from arctui.ops.backups.common import BackupError, sha256_file
from arctui.ops.backups.settings import backup_settings
from arctui.ops.backups.store import Manifest
from arctui.ops.backups.targets import Target
from arctui.ops.runner import Outcome
from tests.unit.test_lifecycle import make_session

OPS = Path(ds.__file__).parent


class FakeStore:
    """A third kind: every call recorded, a real data file written."""

    kind = "fake"
    title = "Fake"
    replaced = "its fake data"
    formats: tuple[str, ...] = ("blob",)

    def __init__(self) -> None:
        self.calls: list[str] = []

    def choose_format(self, requested: str | None, settings: Any) -> str:
        return "blob"

    def command_options(self, fmt: str) -> str:
        return ""

    def take(self, ctx, target, partial, fmt):  # type: ignore[no-untyped-def]
        self.calls.append("take")
        partial.write_bytes(b"blob" * 8)
        return {"verify_detail": "fake checks OK", "keys": 7}

    def reverify(self, ctx, path, manifest):  # type: ignore[no-untyped-def]
        self.calls.append("reverify")
        return dataclasses.replace(manifest, verify_detail="fake OK", verified_at=time.time())

    def restore(self, ctx, target, manifest, path):  # type: ignore[no-untyped-def]
        self.calls.append("restore")
        return "fake restored"

    def drill(self, ctx, target, manifest, path):  # type: ignore[no-untyped-def]
        self.calls.append("drill")
        return f"fake {manifest.id}: drilled"

    def contents(self, manifest: Manifest) -> str:
        return f"{manifest.keys} blobs"


@pytest.fixture
def fake(tmp_path, monkeypatch):
    store = FakeStore()
    monkeypatch.setitem(ds.DATASTORES, "fake", store)
    # A new kind names its data file in the store's table (glob, extension by format).
    monkeypatch.setattr(store_mod, "DATA_FILES", (*store_mod.DATA_FILES, ("fake", ".blob", "blob")))
    monkeypatch.setitem(store_mod.EXTENSIONS, "fake", ".blob")
    monkeypatch.setattr(drill_mod, "KINDS", ("fake",))
    target = Target(kind="fake", service="blobs", container="c", image="i")
    for module in (take_mod, restore_mod, drill_mod):
        monkeypatch.setattr(module, "find_target", lambda *_a, **_k: target)
    session = make_session(tmp_path)
    settings = dataclasses.replace(backup_settings(session), directory=tmp_path / "backups")
    ctx = ops.Context.of(session, settings=settings)
    monkeypatch.setattr(
        restore_mod, "_service_states", lambda *_a, **_k: {}
    )  # no dependents to stop
    return store, ctx


def test_every_operation_goes_through_the_kinds_datastore(fake):
    store, ctx = fake
    taken = ops.backup(ctx, "fake")
    assert taken.ok, taken.message
    m = taken.manifest
    # The common steps are the operation's: checksum, final name, manifest, no partial left.
    assert (m.kind, m.format, m.keys, m.verify_detail) == ("fake", "blob", 7, "fake checks OK")
    assert m.file.endswith(".blob") and m.sha256 == sha256_file(ctx.store.directory / m.file)
    assert ctx.store.get(m.id) == m and not list(ctx.store.directory.glob(".*partial"))
    assert ops.verify(ctx, taken.manifest.id).message.endswith("fake OK")
    restored = ops.restore(ctx, taken.manifest.id)
    assert restored.ok and "fake restored" in restored.message, restored.message
    drilled = ops.drill(ctx)
    assert drilled.ok and drilled.details == (f"fake {taken.manifest.id}: drilled",)
    assert store.calls == ["take", "reverify", "restore", "drill"]
    assert ds.contents(taken.manifest) == "7 blobs"
    assert ds.replaced_by_restore("fake") == "its fake data"


def test_an_unknown_kind_is_refused_inside_the_gate(tmp_path):
    ctx = ops.Context.of(make_session(tmp_path))
    result = ops.backup(ctx, "mongo")
    assert result.outcome is Outcome.FAILED and "unknown datastore 'mongo'" in result.message
    with pytest.raises(BackupError):
        ds.datastore("mongo")
    assert ds.contents(dataclasses.replace(_manifest(), kind="mongo")) == ""


def _manifest() -> Manifest:
    return Manifest(
        id="x", kind="postgres", file="x.dump", env="dev", project="p", service="db",
        container="c", created_at=0.0, duration_s=0.0, size=1, sha256="", verified=True,
    )  # fmt: skip


def test_formats_belong_to_their_datastore(tmp_path):
    session = make_session(tmp_path)
    settings = backup_settings(session)
    pg, rd = ds.datastore("postgres"), ds.datastore("redis")
    assert pg.choose_format(None, settings) == settings.postgres_format
    assert pg.choose_format("sql", settings) == "sql" and pg.command_options("sql")
    assert rd.choose_format("sql", settings) == "rdb"  # `backup all --format sql`
    assert rd.command_options("rdb") == ""
    refused = ops.backup(ops.Context.of(session), "postgres", "tar")
    assert (
        refused.outcome is Outcome.REFUSED and "unknown Postgres backup format" in refused.message
    )


def test_the_readings_come_from_the_datastore():
    m = dataclasses.replace(_manifest(), tables=("public.a", "public.b"))
    assert ds.contents(m) == "2 tables"
    assert ds.contents(dataclasses.replace(m, kind="redis", keys=3)) == "3 keys"
    assert ds.contents(dataclasses.replace(m, kind="redis", keys=None)) == ""


def test_the_operations_never_branch_on_the_kind():
    for name in ("take.py", "restore.py", "drill.py", "attempt.py"):
        text = (OPS / name).read_text(encoding="utf-8")
        assert not re.search(r"kind\s*(==|!=)\s*\"", text), name
    view = OPS.parents[1] / "tabs" / "backups" / "view"
    for path in view.glob("*.py"):
        assert not re.search(r"kind\s*(==|!=)\s*\"", path.read_text(encoding="utf-8")), path


def test_every_datastore_has_a_target_finder_and_data_files():
    # A kind is three entries (its Datastore, its container's finder, its data files):
    # none of the three may know a kind the others do not.
    from arctui.ops.backups import targets

    assert set(ds.KINDS) == set(targets.KINDS) == set(targets.FINDERS)
    for kind, store in ds.DATASTORES.items():
        assert store.kind == kind
        for fmt in store.formats:
            assert (kind, store_mod.extension(kind, fmt), fmt) in store_mod.DATA_FILES
