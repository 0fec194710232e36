"""Redis palette entries are named after the snapshot and the last big-key scan."""

from __future__ import annotations

from dataclasses import replace

from arctui.tabs.redis.demo import DemoRedis
from arctui.tabs.redis.reader import RedisReader
from arctui.tabs.redis.scan import BigKeyScan
from arctui.tabs.redis.view.presenters import palette_entries


def _snapshot():
    return RedisReader(DemoRedis(clock=lambda: 1e9), clock=lambda: 1e9).read()


def test_biggest_keys_of_the_last_scan_are_offered_for_deletion() -> None:
    snap = _snapshot()
    scan = BigKeyScan(DemoRedis(), top=20, batch=100).run()
    entries = palette_entries(snap, scan)
    deletions = [e for e in entries if e[1] == "delete-key"]
    assert [e[2] for e in deletions] == list(scan.by_memory()[:5])
    biggest = scan.by_memory()[0]
    assert deletions[0][0].startswith(f"Delete big key {biggest.key} (")
    assert not [e for e in palette_entries(snap, None) if e[1] == "delete-key"]


def test_memory_limit_entries_follow_the_config() -> None:
    snap = _snapshot()
    unlimited = replace(snap, overview=replace(snap.overview, maxmemory=0))
    titles = [e[0] for e in palette_entries(unlimited, None)]
    assert titles[0].startswith("Set maxmemory (no limit now, ")
    strict = replace(
        snap, overview=replace(snap.overview, maxmemory=2**30, maxmemory_policy="noeviction")
    )
    entries = palette_entries(strict, None)
    assert [(e[0], e[1]) for e in entries] == [
        ("Change maxmemory-policy (noeviction: writes fail at 1.0 GiB)", "maxmemory-policy")
    ]
    lru = replace(strict, overview=replace(strict.overview, maxmemory_policy="allkeys-lru"))
    assert palette_entries(lru, None) == []
