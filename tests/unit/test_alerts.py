"""Alert rules, incidents (for_s, one message per incident, resolved, rate limit, quiet
hours), delivery's retries and its thread, the settings schema, the status grouping."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from arctui.alerts.delivery import Delivery, Message, targets_from
from arctui.alerts.engine import AlertEngine, in_quiet_hours
from arctui.alerts.rules import build_rules, evaluate
from arctui.alerts.status import firing, incidents
from arctui.config.errors import ConfigError
from arctui.config.masking import Redactor
from arctui.config.settings import load_settings
from arctui.models import ContainerInfo, HealthCheckResult, ServiceView, StackSnapshot
from arctui.record.frame import Event, Frame
from arctui.tabs.resources.models import ContainerStats, HostStats, ResourcesSnapshot

T0 = 1_800_000_000.0
SECRET = "s3cr3t-Value-991"


def container(name: str, state: str = "running", **kw: object) -> ContainerInfo:
    return ContainerInfo(
        id=name * 4, name=name, project="p", service=name, image="i", state=state, **kw
    )  # type: ignore[arg-type]


def stack(ts: float, *views: ServiceView) -> StackSnapshot:
    return StackSnapshot("p", tuple(views), ts, "unix:///x")


def down_frame(ts: float, name: str = "db", down: bool = True) -> Frame:
    state = "exited" if down else "running"
    c = container(name, state, exit_code=1 if down else None, finished_at=T0 if down else None)
    return Frame(ts, stack=stack(ts, ServiceView(name, "custom", (c,))))


class Sink:
    """A sender that records what it was given (or fails / hangs on request)."""

    def __init__(self, fail: int = 0, hang: threading.Event | None = None) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.fail = fail
        self.hang = hang
        self.got = threading.Event()

    def __call__(self, url: str, title: str, body: str, kind: str) -> tuple[bool, str]:
        if self.hang is not None:
            self.hang.wait(30)
        self.sent.append((title, body, kind))
        self.got.set()
        if self.fail > 0:
            self.fail -= 1
            return False, "connection refused"
        return True, ""


def wait_for(cond, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return False


def engine(sink: Sink, alerts: dict | None = None, redactor: Redactor | None = None):  # type: ignore[no-untyped-def, type-arg]
    red = redactor or Redactor()
    delivery = Delivery(["json://127.0.0.1:9/x"], red, send=sink, backoff=0.01)
    return AlertEngine(alerts or {"rules": {"service_down": {"for_s": 30}}}, red, delivery)


def test_one_alert_per_incident_after_for_s_then_one_resolved() -> None:
    sink = Sink()
    eng = engine(sink)
    kinds = []
    for i in range(10):  # down since T0, sampled every 5 s: fires at T0+30, once
        kinds += [(i, e.kind) for e in eng(down_frame(T0 + 5 * i), []) if "delivery" not in e.data]
    assert kinds == [(6, "alert")]
    resolved = [e for e in eng(down_frame(T0 + 55, down=False), []) if "delivery" not in e.data]
    assert [e.kind for e in resolved] == ["alert-resolved"]
    assert wait_for(lambda: len(sink.sent) == 2)
    (t1, b1, k1), (t2, _, k2) = sink.sent
    assert k1 == "failure" and "db" in t1 and k2 == "success" and "RESOLVED" in t2
    for part in ("figure:", "down: stopped, exit 1", "threshold:", "30s", "since:", "look at:"):
        assert part in b1
    eng.close()


def test_clearing_before_for_s_sends_nothing() -> None:
    sink = Sink()
    eng = engine(sink, {"rules": {"service_down": {"for_s": 30}}})
    frames = [Frame(T0 + 100, stack=down_frame(0).stack)]  # since T0: already 100 s down
    c = container("db", "exited", exit_code=1, finished_at=T0 + 95)
    frames = [Frame(T0 + 100, stack=stack(T0 + 100, ServiceView("db", "x", (c,))))]
    frames.append(down_frame(T0 + 105, down=False))
    out = [e for f in frames for e in eng(f, [])]
    assert out == [] and sink.sent == []


def test_rate_limit_holds_then_sends_when_allowed() -> None:
    sink = Sink()
    eng = engine(sink, {"rules": {"service_down": {"for_s": 0, "max_per_hour": 1}}})
    a = eng(down_frame(T0, "a"), [])
    eng(down_frame(T0 + 5, "a", down=False), [])  # resolved: one message spent
    b = eng(down_frame(T0 + 10, "b"), [])
    assert a[0].data["sent"] is True
    assert b[0].data["sent"] is False and b[0].data["held"] == "rate limit"
    later = [e for e in eng(down_frame(T0 + 3601, "b"), []) if "delivery" not in e.data]
    assert later and later[0].data["sent"] is True  # the hour passed, still firing: sent now


def test_quiet_hours() -> None:
    noon = time.mktime((2027, 1, 5, 12, 0, 0, 0, 0, -1))
    assert in_quiet_hours((11 * 60, 13 * 60), noon)
    assert in_quiet_hours((22 * 60, 13 * 60), noon)  # across midnight
    assert not in_quiet_hours((22 * 60, 7 * 60), noon)
    sink = Sink()
    eng = engine(sink, {"quiet_hours": "11:00-12:30", "rules": {"service_down": {"for_s": 0}}})
    held = eng(down_frame(noon), [])
    assert held[0].data["held"] == "quiet hours" and sink.sent == []
    sent = [e for e in eng(down_frame(noon + 3600), []) if e.data.get("rule") == "service_down"]
    assert sent[0].data["sent"] is True  # quiet hours over, still firing: sent now
    assert wait_for(lambda: any("db" in title for title, _, _ in sink.sent))


def test_secret_in_health_output_is_redacted_everywhere() -> None:
    red = Redactor([SECRET])
    sink = Sink()
    eng = engine(sink, {"rules": {"service_down": {"for_s": 0}}}, red)
    log = (HealthCheckResult(T0, T0 + 1, 1, f"password={SECRET} \x1b]0;x\x07 fail"),)
    c = container("web", health="unhealthy", health_log=log)
    events = eng(Frame(T0 + 5, stack=stack(T0 + 5, ServiceView("web", "x", (c,)))), [])
    assert wait_for(lambda: len(sink.sent) == 1)
    assert "fail" in sink.sent[0][1] and "\x1b" not in sink.sent[0][1]
    assert all(SECRET not in part for part in sink.sent[0])
    assert all(SECRET not in repr(e) for e in events)


def test_delivery_retries_with_backoff_and_records_each_attempt() -> None:
    sink = Sink(fail=2)
    delivery = Delivery(["json://127.0.0.1:9/x"], Redactor(), send=sink, backoff=0.01)
    delivery.submit(Message("t", "b", incident="r:k"))
    assert wait_for(lambda: len(sink.sent) == 3)
    assert wait_for(lambda: len(delivery._outcomes) == 3)
    statuses = [e.data["delivery"] for e in delivery.drain()]
    assert statuses == ["retrying", "retrying", "sent"]
    delivery.close()


def test_a_hanging_receiver_never_blocks_submit() -> None:
    release = threading.Event()
    sink = Sink(hang=release)
    delivery = Delivery(["json://127.0.0.1:9/x"], Redactor(), send=sink, queue_size=2)
    started = time.monotonic()
    for i in range(5):  # one in the sender, two queued, the rest dropped (recorded)
        delivery.submit(Message("t", str(i)))
    took = time.monotonic() - started
    release.set()
    assert took < 5  # the hang is 30 s; submit returned long before
    assert wait_for(lambda: len(sink.sent) >= 1)
    dropped = [e for e in delivery.drain() if e.data["delivery"] == "dropped"]
    assert dropped
    delivery.close()


def test_targets_from_settings_and_env() -> None:
    alerts = {"targets": ("json://a/x", "mailto://b")}
    env = {"ARCTUI_ALERT_URLS": "json://c/y, json://a/x ,"}
    assert targets_from(alerts, env) == ["json://a/x", "mailto://b", "json://c/y"]


def test_target_password_never_in_outcomes() -> None:
    url = f"mailtos://user:{SECRET}@127.0.0.1:9?to=a@b"
    delivery = Delivery(
        [url], Redactor(), send=lambda *a: (False, f"login failed {url}"), attempts=1
    )
    delivery.send_now(url, Message("t", "b"))
    assert all(SECRET not in repr(e) for e in delivery.drain())


def test_rules_memory_restart_loop_disk() -> None:
    rules = build_rules({"rules": {"restart_loop": {"count": 2, "window_s": 100}}})
    stats = ContainerStats("c1", "web-1", "web", "running", mem=95, mem_limit=100)
    host = HostStats(2, docker_root="/var/lib/docker", disk_total=100 * 2**30, disk_free=2**30)
    res = ResourcesSnapshot("p", (stats,), host, T0, "test")
    got = {}
    for i, restarts in enumerate((5, 6, 7)):
        c = container("w", restart_count=restarts)
        frame = Frame(T0 + 10 * i, stack=stack(T0, ServiceView("w", "x", (c,))), resources=res)
        got = {c.rule: c for c in evaluate(rules, frame)}
    assert set(got) == {"restart_loop", "memory", "disk"}
    assert "2 restarts" in got["restart_loop"].figure
    assert "95 %" in got["memory"].figure and got["memory"].service == "web"
    assert "1.0 GiB" in got["disk"].figure


def test_datastore_down_defers_to_service_down() -> None:
    rules = build_rules({})
    pg = ServiceView("postgres", "postgres", (container("pg", "exited", exit_code=0),))
    frame = Frame(T0, stack=stack(T0, pg), down={"postgres": "connection refused"})
    assert [c.rule for c in evaluate(rules, frame)] == ["service_down"]
    up = ServiceView("postgres", "postgres", (container("pg"),))
    frame = Frame(T0, stack=stack(T0, up), down={"postgres": "password authentication failed"})
    assert [c.rule for c in evaluate(rules, frame)] == ["datastore_down"]


def test_recorder_behind() -> None:
    rules = build_rules({}, interval=5)
    assert evaluate(rules, Frame(T0)) == []
    assert evaluate(rules, Frame(T0 + 5)) == []
    late = evaluate(rules, Frame(T0 + 60))
    assert [c.rule for c in late] == ["recorder_behind"]


def test_status_groups_incidents() -> None:
    def ev(ts: float, kind: str, inc: str, **data: object) -> Event:
        return Event(ts, kind, "s", kind, {"incident": inc, **data})

    events = [
        ev(1, "alert", "a"),
        ev(2, "alert", "a", delivery="ok"),
        ev(3, "alert", "b"),
        ev(4, "alert-resolved", "a"),
        ev(5, "alert", "a"),
    ]
    recs = incidents(events)
    assert [(r.fired.ts, r.resolved.ts if r.resolved else None) for r in recs] == [
        (1, 4),
        (3, None),
        (5, None),
    ]
    assert len(recs[0].deliveries) == 1
    assert [e.ts for e in firing(events)] == [3, 5]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alerts: {rules: {memory: {pct: 9}}}", "alerts.rules.memory.pct' is not a figure"),
        ("alerts: {rules: {nope: {}}}", "alerts.rules.nope' is not a rule"),
        ("alerts: {quiet_hours: '25:00-01:00'}", "alerts.quiet_hours' must be a local time"),
        ("alerts: {rules: {memory: {percent: 140}}}", "is a percentage"),
        ("alerts: {targets: ['not a url " + SECRET + "']}", "alerts.targets[0]' must be"),
    ],
)
def test_settings_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert message in str(info.value) and SECRET not in str(info.value)


def test_health_view_lists_the_stores_alerts(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from arctui.record.store import Store, default_path
    from arctui.ui.screens.health import alert_history

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))

    class S:
        project = "p-alerts"
        store_path = None
        replay = None
        clock = staticmethod(time.time)

    assert alert_history(S()).plain == ""  # no store: nothing, no error
    path = default_path("p-alerts")
    path.parent.mkdir(parents=True, exist_ok=True)
    store = Store.open(path)
    now = time.time()
    store.add_events(
        [
            Event(now - 9, "alert", "db", "service down: db", {"incident": "service_down:db"}),
            Event(now - 5, "alert", "", "disk low", {"incident": "disk:root"}),
            Event(now - 1, "alert-resolved", "db", "resolved", {"incident": "service_down:db"}),
        ]
    )
    store.close()
    lines = alert_history(S()).plain.splitlines()
    assert "FIRING" in lines[1] and "disk low" in lines[1]
    assert "resolved" in lines[2] and "service down: db" in lines[2]


def test_restart_loop_keeps_readings_only_where_the_count_changes() -> None:
    # A week of 5 s frames with a steady count held one reading per frame per service.
    rules = build_rules({"rules": {"restart_loop": {"count": 2, "window_s": 100}}})
    loop = next(r for r in rules if r.id == "restart_loop")
    counts = [3] * 500 + [4, 4, 5] + [5] * 30
    fired = []
    for i, restarts in enumerate(counts):
        c = container("w", restart_count=restarts)
        frame = Frame(T0 + 5 * i, stack=stack(T0, ServiceView("w", "x", (c,))))
        fired.append(loop.check(frame))
        assert len(loop._seen["w"]) <= 3
    assert fired[502] and "2 restarts in 1m (5 in all)" in fired[502][0].figure
    assert not fired[-1]  # the window passed the rises
