"""Verdicts from the snapshot, root cause along depends_on, probe planning, monitoring."""

from __future__ import annotations

import json
from pathlib import Path

from arctui.models import (
    ContainerInfo,
    DeclaredService,
    Dependency,
    HealthCheckResult,
    HealthCheckSpec,
    PortBinding,
    ServiceView,
    StackSnapshot,
)
from arctui.ops.health.models import HealthReport, ProbeResult, ServiceHealth
from arctui.ops.health.monitor import (
    EventHistory,
    HealthEvent,
    changes,
    default_history_path,
    verdict_changes,
)
from arctui.ops.health.probes import check_url, http_probe, plan_probe
from arctui.ops.health.rootcause import docker_verdict, root_causes, snapshot_root_cause

NOW = 1_700_000_000.0


def ctr(name: str, state: str = "running", **kw: object) -> ContainerInfo:
    kw.setdefault("id", f"id-{name}")
    kw.setdefault("project", "p")
    kw.setdefault("service", name)
    kw.setdefault("image", "img")
    return ContainerInfo(name=name, state=state, **kw)  # type: ignore[arg-type]


def svc(
    name: str,
    *containers: ContainerInfo,
    deps: tuple[str, ...] = (),
    role: str = "app",
    **decl: object,
) -> ServiceView:
    declared = DeclaredService(
        name=name, depends_on=deps, dependencies=tuple(Dependency(d) for d in deps), **decl
    )  # type: ignore[arg-type]
    return ServiceView(name, role, containers, declared, deps)


def snap(*services: ServiceView) -> StackSnapshot:
    return StackSnapshot("p", services, NOW, "unix:///var/run/docker.sock")


def test_verdicts_from_engine_state() -> None:
    s = snap(
        svc("up", ctr("up", health="healthy")),
        svc("sick", ctr("sick", health="unhealthy")),
        svc("gone", ctr("gone", "exited", exit_code=1)),
        svc("loop", ctr("loop", "restarting", restart_count=7, exit_code=3)),
        svc("never"),
        svc("flapping", ctr("flapping", restart_count=2, started_at=NOW - 3)),
        svc("steady", ctr("steady", restart_count=2, started_at=NOW - 3600)),
    )
    got = {v.name: docker_verdict(v, s)[0] for v in s.services}
    assert got == {
        "up": "healthy",
        "sick": "unhealthy",
        "gone": "down",
        "loop": "down",
        "never": "not created",
        "flapping": "down",
        "steady": "healthy",
    }
    assert "7 restarts" in docker_verdict(s.services[3], s)[1]


def test_root_cause_is_the_deepest_failing_dependency() -> None:
    s = snap(
        svc("postgres", ctr("postgres", "exited", exit_code=0), role="postgres"),
        svc("kratos", ctr("kratos", health="unhealthy"), deps=("postgres",)),
        svc("app", ctr("app", health="unhealthy"), deps=("kratos", "redis")),
        svc("redis", ctr("redis", health="healthy")),
    )
    cause = snapshot_root_cause(s, "app")
    assert (
        cause is not None
        and cause.service == "postgres"
        and cause.chain == ("app", "kratos", "postgres")
    )
    assert cause.text == "because postgres is down (via kratos)"
    assert snapshot_root_cause(s, "redis") is None
    assert snapshot_root_cause(s, "postgres") is None  # its own fault, no dependency to blame


def test_root_cause_survives_cycles_and_missing_dependencies() -> None:
    verdicts = {"a": "unhealthy", "b": "unhealthy"}
    s = snap(svc("a", ctr("a"), deps=("b",)), svc("b", ctr("b"), deps=("a", "ghost")))
    causes = root_causes(s, verdicts)
    assert causes["a"].service == "ghost" and causes["a"].verdict == "not declared"


def test_probe_plan_uses_the_health_check_url_on_the_host_network() -> None:
    hc = HealthCheckSpec(("CMD", "wget", "-q", "-O-", "http://127.0.0.1:18080/ping"))
    v = svc("gw", ctr("gw", network_mode="host"), healthcheck=hc)
    assert check_url(v) == (18080, "/ping")
    plan = plan_probe(v, {"kind": "http", "port": 80, "path": "/ping"})
    assert plan is not None and plan.url == "http://127.0.0.1:18080/ping" and not plan.guessed
    guess = plan_probe(
        svc("x", ctr("x", network_mode="host")), {"kind": "http", "port": 8081, "path": "/health"}
    )
    assert guess is not None and guess.guessed


def test_probe_plan_published_port_else_exec() -> None:
    pub = ctr(
        "l", network_mode="arc_net", ports=(PortBinding(3100, host_ip="0.0.0.0", host_port=13100),)
    )
    plan = plan_probe(svc("l", pub), {"kind": "http", "port": 3100, "path": "/ready"})
    assert plan is not None and plan.url == "http://127.0.0.1:13100/ready" and not plan.via_exec
    elsewhere = ctr(
        "l", network_mode="arc_net", ports=(PortBinding(3100, host_ip="10.1.2.3", host_port=3100),)
    )
    plan = plan_probe(svc("l", elsewhere), {"kind": "http", "port": 3100, "path": "/ready"})
    assert plan is not None and plan.via_exec  # never probe a non-loopback address from here
    pg = plan_probe(
        svc("pg", ctr("pg", network_mode="host"), role="postgres"),
        {"kind": "exec", "command": ["pg_isready"]},
    )
    assert pg is not None and pg.kind == "postgres"
    remote = plan_probe(
        svc("pg", ctr("pg", network_mode="host"), role="postgres"),
        {"kind": "exec", "command": ["pg_isready"]},
        local_engine=False,
    )
    assert remote is not None and remote.kind == "exec"
    assert plan_probe(svc("down", ctr("down", "exited")), {"kind": "http", "port": 1}) is None


def test_http_probe_on_a_closed_port() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: refused
        failed = http_probe(f"http://127.0.0.1:{port}/", timeout=1)
        guessed = http_probe(f"http://127.0.0.1:{port}/", timeout=1, guessed=True)
    assert failed.ok is False and "refused" in failed.output.lower()
    assert guessed.ok is None and failed.latency_ms is not None


def test_monitor_events_and_history(tmp_path: Path) -> None:
    before = snap(
        svc("a", ctr("a", health="healthy", restart_count=1)), svc("b", ctr("b", health="healthy"))
    )
    after = snap(
        svc("a", ctr("a", health="unhealthy", restart_count=2, exit_code=1)),
        svc("b", ctr("b", "exited", exit_code=137, oom_killed=True, finished_at=NOW)),
    )
    events = changes(before, after)
    kinds = sorted((e.service, e.kind) for e in events)
    assert kinds == [("a", "restarted"), ("a", "unhealthy"), ("b", "down"), ("b", "oom")]
    assert changes(None, after) == []
    history = EventHistory(tmp_path / "h.jsonl", keep=3)
    history.add(events)
    assert len(history.events()) == 3  # bounded
    assert [e.kind for e in history.load()] == [e.kind for e in events]
    assert (tmp_path / "h.jsonl").stat().st_mode & 0o777 == 0o600
    assert all(
        json.loads(line)["time"] == NOW for line in (tmp_path / "h.jsonl").read_text().splitlines()
    )


def test_verdict_changes_and_report_json() -> None:
    p = ProbeResult("http", "GET x", False, 2.0, "HTTP 500")
    old = HealthReport(
        "p", "dev", NOW, (ServiceHealth("a", "app", "running", "healthy", "healthy"),)
    )
    new = HealthReport(
        "p",
        "dev",
        NOW + 5,
        (ServiceHealth("a", "app", "running", "healthy", "unhealthy", probe=p),),
    )
    (event,) = verdict_changes(old, new)
    assert event.text == "healthy -> a unhealthy" and event.severity == "warning"
    doc = new.to_json()
    assert doc["schema"] == 1 and doc["healthy"] is False and doc["counts"]["unhealthy"] == 1
    assert doc["services"][0]["probe"] == {
        "kind": "http",
        "target": "GET x",
        "ok": False,
        "latency_ms": 2.0,
        "output": "HTTP 500",
        "via": "loopback",
    }


def test_last_health_output_is_evidence() -> None:
    bad = HealthCheckResult(NOW, NOW, 1, "connection refused")
    s = snap(
        svc("db", ctr("db", health="unhealthy", health_log=(bad,)), role="postgres"),
        svc("app", ctr("app", health="unhealthy"), deps=("db",)),
    )
    cause = snapshot_root_cause(s, "app")
    assert cause is not None and cause.evidence == "connection refused"


def test_services_detail_says_why() -> None:
    from arctui.tabs.services.view.presenters import service_detail

    s = snap(
        svc("postgres", ctr("postgres", "exited", exit_code=0), role="postgres"),
        svc("flags", ctr("flags", health="unhealthy"), deps=("postgres",)),
    )
    text = service_detail(s.services[1], NOW, s).plain
    assert "unhealthy because postgres is down: stopped, exit 0" in text
    assert "because" not in service_detail(s.services[1], NOW).plain  # no snapshot, no claim


def test_each_project_has_its_own_history_file(tmp_path) -> None:
    a, b = default_history_path("arc"), default_history_path("arc-staging")
    assert a != b and a.parent == b.parent == tmp_path / "state" / "arctui" / "health"
    assert default_history_path("../x/y").parent == a.parent  # a name cannot leave the dir
    EventHistory(a).add([HealthEvent(NOW, "redis", "down", "stopped")])
    assert EventHistory(b).load() == () and len(EventHistory(a).load()) == 1
