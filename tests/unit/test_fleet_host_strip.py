"""The Resources host strip over several engines (issue 24): named by its engine."""

from __future__ import annotations

from arctui.tabs.resources.models import HostStats, ResourcesSnapshot
from arctui.tabs.resources.view.presenters import host_strip
from arctui.ui.fleet_cells import EngineTag

HOST = HostStats(ncpu=4, cpu=10.0, docker_root="/var/lib/docker", disk_total=100, disk_free=40)


def test_one_engine_strip_is_unchanged():
    text = host_strip(ResourcesSnapshot("p", (), HOST, 0.0, "cgroup v2"), None, 0, "data 0.2s old")
    assert text.plain.startswith("Host CPU 10% of 4")
    assert "Disk /var/lib/docker " in text.plain and "\nVolumes " in text.plain


def test_a_production_engines_strip_leads_with_its_marked_name():
    snap = ResourcesSnapshot("p", (), HOST, 0.0, "cgroup v2")
    text = host_strip(snap, None, 0, "data 0.2s old", engine=EngineTag("prod", True))
    assert text.plain.startswith("prod! host CPU 10% of 4")
    assert "/var/lib/docker" not in text.plain  # the label's width, given back
    assert "\nprod! volumes " in text.plain
    first = text.spans[0]
    assert text.plain[first.start : first.end] == "prod!" and "bold" in str(first.style)
    remote = ResourcesSnapshot("p", (), HostStats(ncpu=2, local=False), 0.0, "engine API")
    text = host_strip(remote, None, 0, "", engine=EngineTag("stage"))
    assert "remote: no disk figures" in text.plain
