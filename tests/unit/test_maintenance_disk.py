"""Disk figures as `docker system df` computes them, and the prune's dry run."""

from __future__ import annotations

from typing import Any

import pytest

from arctui.ops.maintenance.disk import data_root, project_volumes, usage_rows
from arctui.ops.maintenance.prune import (
    PROJECT_LABEL,
    Candidates,
    PruneError,
    candidates,
    changed,
    check_labels,
    commands,
)

P = {PROJECT_LABEL: "arc-platform"}
DF: dict[str, Any] = {
    "LayersSize": 1000,
    "Images": [
        {"Id": "sha256:a", "Size": 600, "SharedSize": 100, "Containers": 2},
        {"Id": "sha256:b", "Size": 300, "SharedSize": 100, "Containers": 0},
    ],
    "Containers": [
        {"Id": "c1", "State": "running", "SizeRw": 10, "Labels": P,
         "Mounts": [{"Type": "volume", "Name": "ext_data"}]},
        {"Id": "c2", "State": "exited", "SizeRw": 5, "Labels": {}},
    ],
    "Volumes": [
        {"Name": "arc_pg", "Labels": P, "UsageData": {"Size": 400, "RefCount": 1}},
        {"Name": "ext_data", "Labels": {}, "UsageData": {"Size": 50, "RefCount": 1}},
        {"Name": "old", "Labels": {}, "UsageData": {"Size": 70, "RefCount": 0}},
    ],
    "BuildCache": [
        {"ID": "b1", "Size": 30, "InUse": False, "Shared": False, "Type": "regular"},
        {"ID": "b2", "Size": 20, "InUse": True, "Shared": False, "Type": "regular"},
        {"ID": "b3", "Size": 90, "InUse": False, "Shared": True, "Type": "regular"},
    ],
}  # fmt: skip


def test_usage_rows_follow_the_docker_cli() -> None:
    rows = {r.kind: r for r in usage_rows(DF)}
    # Images: layers minus what used images hold uniquely (600 - 100).
    assert (rows["Images"].total, rows["Images"].active, rows["Images"].reclaimable) == (2, 1, 500)
    assert (rows["Containers"].size, rows["Containers"].reclaimable) == (15, 5)
    assert (rows["Local Volumes"].size, rows["Local Volumes"].reclaimable) == (520, 70)
    assert (rows["Build Cache"].size, rows["Build Cache"].reclaimable) == (50, 30)


def test_project_volumes_are_labelled_or_mounted() -> None:
    vols = project_volumes(DF, "arc-platform")
    assert [(v.name, v.size, v.declared) for v in vols] == [
        ("arc_pg", 400, True),
        ("ext_data", 50, False),
    ]


def test_remote_engine_free_space_is_not_this_hosts() -> None:
    root = data_root({"DockerRootDir": "/", "Name": "elsewhere"}, local_engine=False)
    assert root.free is None and "remote" in root.note
    other = data_root({"DockerRootDir": "/", "Name": "not-this-host-x"}, local_engine=True)
    assert other.free is None and "not this one" in other.note


class Engine:
    def __init__(self, containers: list[dict[str, Any]], images: list[dict[str, Any]]):
        self._containers, self._images = containers, images

    def get_json(self, path: str, params: Any = None, timeout: float | None = None) -> Any:
        if path == "/containers/json":
            return self._containers
        assert path == "/images/json" and params["filters"]["dangling"] == ["true"]
        return self._images

    def df(self, timeout: float | None = None) -> Any:
        return DF


def test_dry_run_never_lists_the_projects_containers() -> None:
    engine = Engine(
        [
            {"Id": "p1", "State": "exited", "Labels": P, "Names": ["/arc-x"], "ImageID": "i1"},
            {"Id": "o1", "State": "exited", "Labels": {}, "Names": ["/other"], "ImageID": "i2"},
            {"Id": "o2", "State": "paused", "Labels": {}, "Names": ["/paused"], "ImageID": "i3"},
            {
                "Id": "o3",
                "State": "created",
                "Labels": {"t": "1"},
                "Names": ["/c"],
                "ImageID": "i4",
            },
        ],
        [{"Id": "i1", "Size": 1}, {"Id": "i2", "Size": 2}, {"Id": "i9", "Size": 9}],
    )
    found = candidates(engine, "arc-platform", [])
    assert [c.id for c in found.containers] == ["o3", "o1"]  # by name: c, other
    # i1 is used by the project's stopped container (kept), i2 only by one that goes.
    assert sorted(i.id for i in found.images) == ["i2", "i9"]
    assert [b.id for b in found.build_cache] == ["b1"]
    narrow = candidates(engine, "arc-platform", ["t=1"])
    assert [c.id for c in narrow.containers] == ["o3"] and narrow.build_cache == ()
    assert "no labels" in narrow.build_cache_note


def test_commands_and_labels() -> None:
    cmds = commands("arc-platform", ["t=1"])
    assert cmds[0] == (
        "docker", "container", "prune", "--force",
        "--filter", "label!=com.docker.compose.project=arc-platform", "--filter", "label=t=1",
    )  # fmt: skip
    assert cmds[1] == ("docker", "image", "prune", "--force", "--filter", "label=t=1")
    assert len(cmds) == 2  # no builder prune with a label filter
    assert commands("p", [])[-1] == ("docker", "builder", "prune", "--force")
    for bad in ("a b", "", f"{PROJECT_LABEL}=x", "=v"):
        with pytest.raises(PruneError):
            check_labels([bad])


def test_a_changed_dry_run_refuses() -> None:
    from arctui.ops.maintenance.prune import Item

    seen = Candidates(containers=(Item("a", "a", 1),))
    assert changed(seen, Candidates(containers=(Item("a", "a", 1),))) is None
    assert "changed since you looked" in (
        changed(seen, Candidates(containers=(Item("b", "b", 1),))) or ""
    )
