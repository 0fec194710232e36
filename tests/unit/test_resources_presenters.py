"""Resources tab presenters, charts and the demo source: pure functions, no app."""

from __future__ import annotations

import subprocess
import sys

from rich.text import Text

from arctui.demo.platform import DEMO_EPOCH, DemoPlatform
from arctui.tabs.resources.demo import DemoResources
from arctui.tabs.resources.models import (
    ContainerStats,
    HostStats,
    OomEvent,
    ResourcesSnapshot,
    VolumesSnapshot,
    VolumeUsage,
)
from arctui.tabs.resources.rates import Point
from arctui.tabs.resources.view.presenters import (
    COLUMNS,
    container_info,
    host_strip,
    oom_list,
    percent,
    resource_row,
    visible_containers,
)
from arctui.ui.widgets.charts import as_text, bar_chart, nice_ceiling, resample

M = 2**20


def stats(name: str, **kw) -> ContainerStats:
    return ContainerStats(kw.pop("id", name), name, kw.pop("service", name), "running", **kw)


def test_percent() -> None:
    assert [percent(v) for v in (None, 0.04, 52.25, 1234.5)] == ["-", "0.0", "52.2", "1234"]


def test_row_cells_are_text_and_sanitized() -> None:
    c = stats(
        "evil\x1b]0;title\x07[@click=app.quit]",
        cpu=0.5,
        cpu_limit=1.0,
        mem=60 * M,
        mem_limit=64 * M,
        net_rx=1024.0,
        net_tx=2048.0,
        pids=4,
        restarts=2,
        oom_killed=True,
    )
    row = resource_row(c, ncpu=4)
    assert len(row.cells) == len(COLUMNS)
    assert all(isinstance(cell, Text) for cell in row.cells)
    plain = [cell.plain for cell in row.cells]
    assert "\x1b" not in plain[0] and "[@click=app.quit]" in plain[0]  # shown, never run
    assert plain[1:7] == ["50.0", "60M", "93.8", "64M", "50.0", "12.5"]
    assert plain[7:9] == ["1.0K", "2.0K"]
    assert plain[11:15] == ["4", "2", "OOM", "running"]
    assert "bold" in str(row.cells[3].style)  # above 80 % of the limit: flagged


def test_host_network_shows_host_instead_of_numbers() -> None:
    row = resource_row(stats("x", host_network=True, net_rx=5.0), ncpu=2)
    assert row.cells[7].plain == "host" and row.cells[8].plain == "host"


def test_stopped_row_and_limit_drift() -> None:
    c = ContainerStats("i", "n", "s", "exited", mem_limit=64 * M, declared_mem_limit=128 * M)
    plain = [cell.plain for cell in resource_row(c, 2).cells]
    assert plain[1] == "-" and plain[4] == "64M*" and plain[-1] == "exited"
    info = container_info(c, 2, 0.0).plain
    assert "compose declares memory 128M" in info and "recreate" in info
    # The `*` is explained where the table is (issue 18 item 12), only when one shows.
    host = HostStats(ncpu=2, local=False)
    legend = host_strip(ResourcesSnapshot("p", (c,), host, 0.0, "engine API"), None, 0, "")
    assert "* Limit: the compose files declare other limits than n run with" in legend.plain
    assert "a - is no limit" in legend.plain
    same = ContainerStats("j", "m", "s", "running", mem_limit=64 * M)
    plain = host_strip(ResourcesSnapshot("p", (same,), host, 0.0, "engine API"), None, 0, "").plain
    assert "* Limit" not in plain


def test_sort_and_filter() -> None:
    snap = ResourcesSnapshot(
        "p",
        (
            stats("a", cpu=0.1, mem=300),
            stats("b", cpu=0.9, mem=100),
            stats("c", mem=200),  # no CPU figure yet: last
        ),
        HostStats(ncpu=2),
        0.0,
        "test",
    )
    names = lambda rows: [c.name for c in rows]  # noqa: E731
    assert names(visible_containers(snap, "", "cpu", False)) == ["b", "a", "c"]
    assert names(visible_containers(snap, "", "cpu", True)) == ["c", "a", "b"]
    assert names(visible_containers(snap, "", "mem", False)) == ["a", "c", "b"]
    assert names(visible_containers(snap, "", "name", False)) == ["a", "b", "c"]
    assert names(visible_containers(snap, "B", "name", False)) == ["b"]


def test_host_strip_warns_and_lists_oom() -> None:
    host = HostStats(
        ncpu=8,
        cpu=12.0,
        mem_total=32 * 2**30,
        mem_available=20 * 2**30,
        docker_root="/var/lib/docker",
        disk_total=100 * 2**30,
        disk_free=50 * 2**30,
    )
    hot = stats("pulsar", mem=90 * M, mem_limit=100 * M)
    snap = ResourcesSnapshot(
        "p", (hot,), host, 1000.0, "cgroup v1", (OomEvent(400.0, "x", "jaeger"),)
    )
    vols = VolumesSnapshot((VolumeUsage("arc_pg", 3 * 2**30),), 990.0)
    text = host_strip(snap, vols, 1000.0, "every 1s").plain
    assert "CPU 12% of 8" in text and "Mem 12G/32G" in text
    assert "/var/lib/docker 50G free (50% used)" in text
    assert "arc_pg 3.0G" in text and "(10s ago)" in text
    assert "pulsar at 90% of its memory limit" in text
    assert "OOM kills: 1, last jaeger" in text and "(10m ago)" in text
    remote = host_strip(
        ResourcesSnapshot("p", (), HostStats(ncpu=2, local=False), 0.0, "engine API"), None, 0, ""
    ).plain
    assert "remote engine" in remote and "measuring" in remote
    assert "waiting" in host_strip(None, None, 0.0, "").plain


def test_oom_list_newest_first() -> None:
    events = [OomEvent(100.0, "a", "first"), OomEvent(200.0, "b", "second")]
    text = oom_list(events, 300.0).plain
    assert text.index("second") < text.index("first") and "OOM kills (2)" in text
    assert "none seen" in oom_list([], 0.0).plain


def test_resample_takes_bucket_max_and_ignores_old_points() -> None:
    points = [Point(t, t / 10, None) for t in range(0, 10)]
    values = resample(points, lambda p: p.cpu, now=9.0, window=6.0, width=3)
    assert values == [0.5, 0.7, 0.9]  # buckets on multiples of 2 s: [4,6) [6,8) [8,10)
    # Half a second later the same buckets: nothing to redraw.
    assert resample(points, lambda p: p.cpu, 9.5, 6.0, 3) == values
    assert resample(points, lambda p: p.mem, 9.0, 6.0, 3) == [None, None, None]
    assert resample(points, lambda p: p.cpu, 9.0, 6.0, 0) == []


def test_nice_ceiling() -> None:
    assert [nice_ceiling(v) for v in (0, 0.3, 1, 1.2, 2.2, 3, 7, 220)] == [
        1.0,
        0.5,
        1,
        2,
        2.5,
        5,
        10,
        250,
    ]


def test_bar_chart_draws_bars_and_the_limit() -> None:
    lines = bar_chart([0.0, 50.0, 100.0, None], height=4, top=100.0, limit=50.0, label=str)
    rows = as_text(lines).plain.split("\n")
    assert len(rows) == 4
    bars = [r[7:] for r in rows]
    assert bars[0] == "  █ "
    assert bars[1] == "  █ "
    assert bars[2] == "┄██┄" and rows[2].strip().startswith("lim")  # the row up to 50
    assert bars[3] == " ██ "
    assert rows[0].strip().startswith("100.0")
    assert bar_chart([1.0], 0, 1.0, None, str) == []
    assert ("┄┄", "red") in bar_chart([0.0, 0.0], 2, 1.0, 0.5, str, "blue", "red")[1]


def test_demo_is_deterministic_and_moves() -> None:
    def at(t: float) -> ResourcesSnapshot:
        return DemoResources(DemoPlatform(seed=7, clock=lambda: t)).read()

    a, b = at(DEMO_EPOCH), at(DEMO_EPOCH)
    assert a == b
    assert a != at(DEMO_EPOCH + 5)
    names = {c.name: c for c in a.containers}
    assert names["arc-strange-stream"].mem_warning
    assert names["arc-columbo-traces"].oom_killed and not names["arc-columbo-traces"].running
    assert {e.name for e in a.oom_events} == {"arc-columbo-traces", "arc-platform-raymond-2"}
    demo = DemoResources(DemoPlatform(seed=7, clock=lambda: DEMO_EPOCH))
    past = demo.backfill(30)
    assert len(past) == 30 and past[-1].taken_at == DEMO_EPOCH - 1
    assert len(demo.volumes().volumes) == 6


def test_resource_layers_do_not_import_textual() -> None:
    code = (
        "import sys, arctui.tabs.resources.models, arctui.sources.cgroups, arctui.sources.host, "
        "arctui.sources.docker_stats, arctui.tabs.resources.rates, arctui.tabs.resources.source, "
        "arctui.tabs.resources.reader, arctui.tabs.resources.events, arctui.sources.engine_parse, "
        "arctui.tabs.resources.demo\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'textual'"
        " or m.startswith('arctui.ui'))\n"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""
