"""The health view (key H) and the monitoring behind it.

The screen shows the health report (Docker's view, arctui's probes with their latency,
the verdict and its root cause along depends_on), refreshed every 10 s while open (the
guide's `watch -n 10 make health-all`), and the event history. `start_monitoring`
watches the app's stack snapshot (no extra engine call): a container that became
unhealthy, restarted, went down or was OOM-killed raises a notification and lands in
the history (also appended to `$XDG_STATE_HOME/arctui/health/<project>.jsonl`).
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from arctui.models import StackSnapshot
from arctui.ops.health.models import HealthReport, ServiceHealth
from arctui.ops.health.monitor import (
    EventHistory,
    HealthEvent,
    changes,
    default_history_path,
    verdict_changes,
)
from arctui.sources.base import SourceError
from arctui.text import clean, one_line
from arctui.ui.shell import shell
from arctui.ui.widgets.rows import sync_rows

if TYPE_CHECKING:
    from textual.app import App
    from textual.notifications import SeverityLevel

REFRESH = 10.0  # seconds, while the screen is open
SHOWN_EVENTS = 200
NOTIFY_AT_ONCE = 3  # more changes in one reading become one summary notification
VERDICT_STYLE = {
    "healthy": "green",
    "completed": "green",
    "not created": "dim",
    "starting": "yellow",
    "degraded": "yellow",
    "unhealthy": "bold red",
    "down": "bold red",
}
COLUMNS = ("Service", "Verdict", "Docker", "Probe", "Latency", "Why / probe target")
Reports = list[tuple[str, HealthReport]]  # (engine, its report), the primary first


def history_of(app: App[Any]) -> EventHistory:
    """The app's event history (made on first use)."""
    host = shell(app)
    if host.health_history is None:
        session = host.session
        # The demo's simulated events stay in memory: they are nobody's platform history.
        path = None if session.demo else default_history_path(session.project)
        host.health_history = EventHistory(path, redactor=session.redactor)
    return host.health_history


PRODUCTION_BADGE = "▲ PRODUCTION · "  # a production engine's notification title leads with it
PRODUCTION_TIMEOUT = 15.0  # seconds a production engine's notification stays (Textual: 5)


def notify_events(app: App[Any], events: list[HealthEvent], production: bool = False) -> None:
    """One notification per event; a burst becomes one summary. `production`: the
    events' engine is production: each title says so and the notification stays longer."""
    if not events:
        return
    badge = PRODUCTION_BADGE if production else ""
    timeout = PRODUCTION_TIMEOUT if production else None
    if len(events) > NOTIFY_AT_ONCE:
        worst = "error" if any(e.severity == "error" for e in events) else "warning"
        names = ", ".join(sorted({e.service for e in events}))
        app.notify(
            f"{len(events)} state changes: {names} (H: health and history)",
            title=f"{badge}health",
            severity=cast("SeverityLevel", worst),
            markup=False,
            timeout=timeout,
        )
        return
    for e in events:
        app.notify(
            one_line(e.text, 200),
            title=f"{badge}health: {one_line(e.service, 40)}",
            severity=cast("SeverityLevel", e.severity),
            markup=False,
            timeout=timeout,
        )


def engine_events(events: list[HealthEvent], engine: str | None) -> list[HealthEvent]:
    """Events named by their engine (`engine/service`, as the health view names them)."""
    if engine is None:
        return events
    return [dataclasses.replace(e, service=f"{engine}/{e.service}") for e in events]


def start_monitoring(app: App[Any]) -> None:
    """Watch every engine's stack; changes become notifications and history entries.

    The primary engine's is the app's `snapshot`; with several engines (issue 24) every
    other engine's is read at each `fleet_version` bump, and every event is named by its
    engine (`staging/api`), a production engine's with the production badge."""
    host = shell(app)
    history = history_of(app)
    multi = host.multi_engine
    primary = host.session
    # Started after the first frame: the snapshots already shown are the first readings.
    last: dict[str, StackSnapshot | None] = {primary.engine_name: host.snapshot}
    if multi:  # the other engines' readings already shown too: a change after now is news
        for member in primary.fleet.members:
            last.setdefault(member.engine_name, host.engine_snapshot(member.engine_name))

    def seen(session: Any, snapshot: StackSnapshot | None) -> None:
        if snapshot is None:
            return
        name = session.engine_name
        previous = last.get(name)  # None: the engine's first reading, no change yet
        last[name] = snapshot
        if previous is not None and previous.taken_at >= snapshot.taken_at:
            return
        found = engine_events(changes(previous, snapshot), name if multi else None)
        notify_events(app, history.add(found), production=session.production)

    app.watch(app, "snapshot", lambda snapshot: seen(primary, snapshot), init=False)
    if not multi:
        return

    def fleet_changed(_: int) -> None:
        for member in primary.fleet.members:
            seen(member, host.engine_snapshot(member.engine_name))

    app.watch(app, "fleet_version", fleet_changed, init=False)


def verdict_text(entry: ServiceHealth) -> Text:
    """The verdict cell, coloured."""
    return Text(entry.verdict, style=VERDICT_STYLE.get(entry.verdict, ""))


def fleet_reports(sessions: tuple[Any, ...], probe: bool) -> Reports:
    """Every engine's report, each engine read and probed on its own thread within its own
    time (ops/fleet_read.py): a hung engine's report says why, the others' are whole."""
    from arctui.ops.fleet_read import read_fleet
    from arctui.ops.health.report import TIMEOUT, build_report

    def read(member: Any) -> HealthReport:
        try:
            snapshot = member.reader.latest()
        except SourceError as exc:
            return HealthReport(member.project, member.env, time.time(), (), exc.reason)
        # A replay shows the recorded containers' own health: probing would read now.
        return build_report(member, snapshot, probe=probe)

    reads = read_fleet(sessions, read, notices=False, extra=TIMEOUT * 3 + 5 if probe else 0.0)
    out: Reports = []
    for r in reads:
        s = r.session
        report = r.value or HealthReport(s.project, s.env, time.time(), (), r.error or "?")
        out.append((r.name, report))
    return out


def report_row(entry: ServiceHealth, engine: str | None = None) -> tuple[Text, ...]:
    """One table row (outside text cleaned, never markup); `engine` first when given."""
    p = entry.probe
    result = Text("-") if p is None else {
        True: Text("ok", style="green"), False: Text("FAIL", style="bold red"),
        None: Text("?", style="yellow")}[p.ok]  # fmt: skip
    latency = "-" if p is None or p.latency_ms is None else f"{p.latency_ms:.0f} ms"
    if entry.root_cause is not None:
        why = Text(one_line(entry.root_cause.text, 120), style="bold red")
    elif not entry.ok:
        why = Text(one_line(entry.reason, 160))
    else:
        why = Text(one_line(p.target if p else entry.reason, 160), style="dim")
    cells = (Text(one_line(entry.service, 40)), verdict_text(entry),
             Text(entry.docker_health or "-"), result, Text(latency), why)  # fmt: skip
    return cells if engine is None else (Text(one_line(engine, 32), style="bold"), *cells)


def entry_detail(entry: ServiceHealth) -> Text:
    """The selected service: the verdict, the root cause's evidence, the probe's answer."""
    out = Text()
    out.append(one_line(entry.line(), 300) + "\n", style="bold")
    if entry.root_cause is not None:
        out.append(f"  chain: {one_line(' -> '.join(entry.root_cause.chain), 200)}\n")
        if entry.root_cause.evidence:
            out.append(f"  {one_line(entry.root_cause.service, 40)}: ")
            out.append(one_line(entry.root_cause.evidence, 400) + "\n")
    if entry.probe is not None:
        p = entry.probe
        ms = "" if p.latency_ms is None else f" in {p.latency_ms:.0f} ms"
        out.append(f"  probe {one_line(p.target, 200)} ({p.via}){ms}: ")
        out.append(one_line(p.output, 400) + "\n")
    if entry.health_output:
        out.append(f"  last failing Docker check: {one_line(entry.health_output, 300)}\n")
    out.append(f"  restarts {entry.restarts}" + (", OOM-killed" if entry.oom_killed else ""))
    return out  # no newline at the end: it was a blank line under the table


def event_lines(events: tuple[HealthEvent, ...], limit: int = SHOWN_EVENTS) -> Text:
    """The history, newest first, with local times."""
    out = Text()
    if not events:
        out.append(
            "no state change seen yet (restarts, unhealthy, OOM kills, stops land here)",
            style="dim",
        )
        return out
    for e in reversed(events[-limit:]):
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.time))
        style = {"error": "red", "warning": "yellow"}.get(e.severity, "")
        out.append(f"{stamp}  ", style="dim")
        out.append(f"{e.kind:<10}", style=style)
        out.append(f" {one_line(e.service, 30)}: {clean(one_line(e.text, 200))}\n")
    return out


def alert_history(session: Any) -> Text:
    """The recorder's alerts of the last day (firing first), or nothing without a store:
    the session's store (--store), as of its clock (in a replay, the moment shown)."""
    from arctui.alerts.status import session_alerts

    try:
        records = session_alerts(session)
    except Exception:  # no store, locked, damaged: the health view stands without it
        return Text()
    if not records:
        return Text()
    heading = "Alerts (the recorder's, last 24 h, newest first)\n"
    if session.replay is not None:
        heading = "Alerts as they stood at the moment replayed (last 24 h before it)\n"
    out = Text(heading, style="bold")
    for r in sorted(records, key=lambda r: (not r.firing, -r.fired.ts))[:20]:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.fired.ts))
        state = "FIRING  " if r.firing else "resolved"
        out.append(f"{stamp}  ", style="dim")
        out.append(state, style="bold red" if r.firing else "green")
        out.append(f" {one_line(r.fired.text, 200)}\n")
    return out


class HealthScreen(ModalScreen[None]):
    """The health report with root causes, refreshed while open, and the event history."""

    BINDINGS = [
        Binding("escape,q,H", "dismiss", "Close", id="health.close"),
        Binding("r", "refresh", "Probe now", id="health.refresh"),
        Binding("w", "doctor", "Wizards", id="health.doctor"),
    ]
    DEFAULT_CSS = """
    HealthScreen { align: center middle; }
    HealthScreen > Vertical {
        width: 96%; height: 94%; border: round $primary; background: $surface; padding: 0 1;
    }
    HealthScreen #health-title { height: auto; }
    HealthScreen DataTable { height: 1fr; min-height: 5; }
    HealthScreen #health-detail { height: auto; max-height: 7; border-top: solid $primary; }
    HealthScreen #health-events {
        height: auto; max-height: 25%; border-top: solid $primary; overflow-y: auto;
    }
    """

    def __init__(self, session: Any, history: EventHistory, snapshot: StackSnapshot | None) -> None:
        super().__init__()
        self.session = session
        self.history = history
        self.snapshot = snapshot
        self.report: HealthReport | None = None  # the primary engine's
        self.reports: Reports = []  # every engine's (one with one engine)
        self.entries: list[tuple[str, ServiceHealth]] = []  # the table's rows, in order
        self.multi = False  # several engines: an Engine column, each engine probed
        self.reading = False
        self.history_from_file: tuple[HealthEvent, ...] = ()
        self.alert_lines = Text()  # the recorder's alerts (store), when there are any

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Health: probing ...", style="bold"), id="health-title")
            yield DataTable(id="health-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="health-detail")
            yield Static(id="health-events")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        self.multi = shell(self.app).multi_engine
        table.add_columns(*(("Engine", *COLUMNS) if self.multi else COLUMNS))
        if not self.history.events():  # an earlier run's history, until this one has some
            self.history_from_file = self.history.load(SHOWN_EVENTS)
        self._show_events()
        self.action_refresh()
        self.set_interval(REFRESH, self.action_refresh)
        table.focus()

    def _show_events(self) -> None:
        events = self.history.events() or self.history_from_file
        title = Text("Event history ", style="bold")
        title.append("(newest first, this run and earlier ones)\n", style="dim")
        shown = title + event_lines(events)
        self.query_one("#health-events", Static).update(self.alert_lines + shown)

    def action_refresh(self) -> None:
        """Probe every service now (on a worker thread)."""
        if self.reading:
            return
        self.reading = True
        self.run_worker(self._read, thread=True, exit_on_error=False, group="health")

    def _read(self) -> None:
        sessions = self.session.fleet.all if self.multi else (self.session,)
        reports = fleet_reports(sessions, probe=self.session.replay is None)
        alerts = alert_history(self.session)  # the store, read here: off the event loop
        self.app.call_from_thread(self._show, reports, alerts)

    def _show(self, reports: Reports | HealthReport, alerts: Text | None = None) -> None:
        if isinstance(reports, HealthReport):
            reports = [(self.session.engine_name, reports)]
        self.reading = False
        self.alert_lines = alerts or Text()
        before = dict(self.reports)
        self.reports, self.report = reports, reports[0][1]
        if self.session.replay is None:  # a replay's verdicts are the past's, not news
            host = shell(self.app)
            for engine, report in reports:
                news = verdict_changes(before.get(engine), report)
                news = engine_events(news, engine if self.multi else None)
                production = host.engine_session(engine).production
                notify_events(self.app, self.history.add(news), production=production)
        self.query_one("#health-title", Static).update(self._title())
        self.entries = [(engine, e) for engine, report in reports for e in report.services]
        if self.multi:  # keyed and led by the engine's name
            rows = [(f"{n}/{e.service}", report_row(e, n)) for n, e in self.entries]
        else:
            rows = [(e.service, report_row(e)) for _n, e in self.entries]
        sync_rows(self.query_one(DataTable), rows, update_width=False)
        self._detail()
        self._show_events()

    def _fleet_title(self) -> Text:
        """Several engines: one line per engine's counts (wrapped only when longer than the
        view); the project goes in the frame's top border, the probes and keys in its
        bottom one, so at 80x24 over three engines the title takes 3 lines, not 4."""
        frame = self.query_one(Vertical)
        head = Text("Health ", style="bold")
        head.append(one_line(self.reports[0][1].project, 60))
        frame.border_title = head
        out = Text()
        for i, (engine, report) in enumerate(self.reports):
            production = shell(self.app).engine_session(engine).production
            out.append("\n" if i else "")
            out.append(f"{one_line(engine, 32)}: ", style="bold red" if production else "bold")
            if report.error:
                out.append(f"cannot read the stack: {one_line(report.error, 200)}", style="red")
                continue
            out.append(", ".join(f"{v} {k}" for k, v in report.counts().items() if v))
        took = "simulated"
        if not self.session.demo:
            took = " / ".join(f"{r.duration_ms:.0f}" for _e, r in self.reports) + " ms"
        keys = "r probe now · w wizards · Esc closes"
        frame.border_subtitle = Text(f"probes {took} · every {REFRESH:.0f} s · {keys}")
        return out

    def _title(self) -> Text:
        if self.multi and self.session.replay is None:
            return self._fleet_title()
        title = Text("Health ", style="bold")
        title.append(one_line(self.reports[0][1].project, 60))
        for engine, report in self.reports:
            where = f"{engine}: " if self.multi else ""
            if report.error:
                why = f"  ·  {where}cannot read the stack: {one_line(report.error, 200)}"
                title.append(why, style="red")
                continue
            counts = ", ".join(f"{v} {k}" for k, v in report.counts().items() if v)
            title.append(f"  ·  {where}{counts}")
        took = "simulated" if self.session.demo else f"{self.reports[0][1].duration_ms:.0f} ms"
        if self.multi and not self.session.demo:
            took = " / ".join(f"{r.duration_ms:.0f}" for _e, r in self.reports) + " ms"
        if self.session.replay is not None:
            took = "not run (replay: Docker's recorded health only)"
        title.append(f"  ·  probes {took}")
        keys = "r probe now  ·  w wizards" if self.session.replay is None else "r read again"
        title.append(f"  ·  every {REFRESH:.0f} s  ·  {keys}  ·  Esc closes", style="dim")
        return title

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._detail()

    def selected_row(self) -> tuple[str, ServiceHealth] | None:
        """The highlighted row's engine and entry."""
        row = self.query_one(DataTable).cursor_row
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def selected(self) -> ServiceHealth | None:
        """The highlighted service's entry."""
        chosen = self.selected_row()
        return chosen[1] if chosen is not None else None

    def _detail(self) -> None:
        entry = self.selected()
        self.query_one("#health-detail", Static).update(entry_detail(entry) if entry else Text())

    def action_doctor(self) -> None:
        """Open the troubleshooting wizards."""
        from arctui.ui.screens.wizard import DoctorScreen

        if self.session.replay is not None:  # the wizards read the live stack
            self.notify(
                "replay: the troubleshooting wizards would read the live stack",
                title="replay",
                severity="warning",
                markup=False,
            )
            return

        chosen = self.selected_row()
        engine = shell(self.app).engine_session(chosen[0] if chosen else None)  # its engine's
        focus = chosen[1].service if chosen else None
        self.app.push_screen(DoctorScreen(engine, focus_service=focus))
