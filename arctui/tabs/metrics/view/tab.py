"""The Metrics tab: RED per service, the telemetry pipeline, Prometheus itself, PromQL.

Read by the one app poller (only while the tab is visible: hidden, it reads nothing).
Enter on a service opens its operations and the last hour of each figure; Escape goes
back. `:` opens the PromQL prompt, answered on a thread worker (every call has a
timeout). A stack without Prometheus is a state the tab explains, not a failure; a
Prometheus that stops answering is a failure the app's banner shows, and the tab
recovers by itself at the next good read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import ContentSwitcher, Input, Static

from arctui.sources.base import SourceError
from arctui.sources.prometheus import PrometheusAbsent
from arctui.tabs.metrics.models import MetricsSnapshot, Points, QueryResult
from arctui.tabs.metrics.reader import WINDOWS, absent_snapshot, reader_for
from arctui.tabs.metrics.view.presenters import (
    OPERATION_COLUMNS,
    SERVICE_COLUMNS,
    chart_points,
    charts_text,
    details_lines,
    operation_rows,
    query_text,
    service_figures,
    service_row,
    status_text,
    styled,
)
from arctui.text import one_line
from arctui.ui.cells import Colours
from arctui.ui.cells import Row as CellRow
from arctui.ui.colours import ThemeColours, on_theme_change
from arctui.ui.polling import Poller, SourceFailed, SourceUpdated
from arctui.ui.widgets.rows import Row, sync_rows
from arctui.ui.widgets.stats_table import Column, StatsTable
from arctui.ui.widgets.table import ArcTable

if TYPE_CHECKING:
    from arctui.session import Session

SOURCE = "metrics"


class MetricsTab(Vertical):
    """The stack's application signals, from its own Prometheus."""

    BINDINGS = [
        Binding("enter", "open", "Operations", show=False, id="metrics.open"),
        Binding("escape", "back", "Back", show=False, id="metrics.back"),
        Binding("colon", "prompt", "PromQL", key_display=":", id="metrics.query"),
        Binding("w", "window", "Window", id="metrics.window"),
    ]

    def __init__(self, session: Session, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.snapshot: MetricsSnapshot | None = None
        self.failure = ""
        self.window = "5m"
        self.opened: str | None = None
        self.result: QueryResult | None = None
        self._reader: Any = None
        self._lock = threading.Lock()
        self._palette = ThemeColours()
        # What each Static shows and each service row holds, to touch only what changed:
        # a refresh of 50 services mostly repeats the last one (the details, the status,
        # the hour's bars, which move once a minute).
        self._shown: dict[str, object] = {}
        self._rows: dict[str, tuple[object, Points, object, tuple[Text, ...]]] = {}
        self.poller = Poller(self, SOURCE, self._read, interval=session.settings.refresh)

    # Reading (the poller's thread) ---------------------------------------------------
    def _read(self) -> MetricsSnapshot:
        with self._lock:
            if self._reader is None or self._reader.window != self.window:
                try:
                    fresh = reader_for(self.session, self.window)
                except PrometheusAbsent as exc:
                    return absent_snapshot(exc, self.session.clock())
                if self._reader is not None:
                    self._reader.close()
                self._reader = fresh
            reader = self._reader
            reader.focus = self.opened
        try:
            return reader.read()  # type: ignore[no-any-return]
        except SourceError as exc:
            if exc.reason.startswith("cannot connect"):
                with self._lock:  # it may come back on another port: look again
                    if self._reader is reader:
                        self._reader = None
                reader.close()
            raise

    # Layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="metrics-status")
        with ContentSwitcher(id="metrics-panels", initial="metrics-overview"):
            with Vertical(id="metrics-overview"):
                # Rows whose figures move every refresh: the line-API table, which repaints
                # only the rows that changed (a DataTable repainted every visible row and
                # measured every cell again on any change: most of the tab's CPU).
                yield StatsTable(id="metrics-services")
                with VerticalScroll(id="metrics-details-scroll"):
                    yield Static(id="metrics-details")
            with Vertical(id="metrics-service"):
                yield Static(id="metrics-service-title")
                yield Static(id="metrics-charts")
                yield ArcTable(id="metrics-operations", cursor_type="row", zebra_stripes=True)
        yield Input(placeholder="PromQL (Enter runs, Esc closes)", id="metrics-prompt")
        with VerticalScroll(id="metrics-result-scroll"):
            yield Static(id="metrics-result")

    def on_mount(self) -> None:
        services = self.query_one("#metrics-services", StatsTable)
        services.set_columns([Column(key, label) for key, label in SERVICE_COLUMNS])
        operations = self.query_one("#metrics-operations", ArcTable)
        for key, label in OPERATION_COLUMNS:
            operations.add_column(label, key=key)
        self.query_one("#metrics-prompt").display = False
        self.query_one("#metrics-result-scroll").display = False
        self._redraw()
        on_theme_change(self, self._restyle)
        self.poller.start()  # the first read comes when the tab is first shown

    def on_show(self) -> None:
        self._focus_table()
        self.poller.request()

    def on_unmount(self) -> None:
        self.poller.stop()
        with self._lock:
            if self._reader is not None:
                self._reader.close()

    def _colours(self) -> Colours:
        return self._palette.get(self.app)  # the same mapping until the theme changes

    def _show(self, widget_id: str, key: object, build: Callable[[], Text | str]) -> None:
        """Update a Static only when what it shows (`key`) changed, and lay the screen out
        again only when its height may have (a layout pass repaints the whole screen): its
        shape is the screen lines each of its lines takes at the width it has now."""
        old = self._shown.get(widget_id)
        if isinstance(old, tuple) and old[0] == key:
            return
        widget = self.query_one(f"#{widget_id}", Static)
        content = build()
        plain = content.plain if isinstance(content, Text) else content
        width = widget.content_size.width
        rows = [max(1, -(-cell_len(line) // max(width, 1))) for line in plain.split("\n")]
        shape = (width, tuple(rows))
        layout = not width or not isinstance(old, tuple) or old[1] != shape
        self._shown[widget_id] = (key, shape)
        widget.update(content, layout=layout)

    def _focus_table(self) -> None:
        panel = self.query_one("#metrics-panels", ContentSwitcher).current
        target = "#metrics-operations" if panel == "metrics-service" else "#metrics-services"
        self.query_one(target).focus()

    # Data ------------------------------------------------------------------------------
    def on_source_updated(self, message: SourceUpdated) -> None:
        if message.source != SOURCE:
            return
        self.snapshot, self.failure = message.value, ""
        self._redraw()

    def on_source_failed(self, message: SourceFailed) -> None:
        if message.source != SOURCE:
            return
        f = message.failure
        self.failure = f.reason + (f"  fix: {f.fix}" if f.fix else "")
        self._redraw()

    def _restyle(self) -> None:
        self._shown.clear()  # keyed by content: a Text's == ignores its colours
        self._redraw()

    def _redraw(self) -> None:
        colours = self._colours()
        s = self.snapshot
        status = status_text(s, self.failure, time.time(), colours)
        self._show("metrics-status", status, lambda: status)
        if s is None or s.absent is not None:
            self._sync_services([])
            self._show("metrics-details", None, lambda: "")
            return
        self._sync_services(self._service_rows(s, colours))
        lines = details_lines(s)
        self._show("metrics-details", (lines, id(colours)), lambda: styled(lines, colours))
        if self.opened:
            self._render_service(s, colours)

    def _service_rows(self, s: MetricsSnapshot, colours: Colours) -> list[Row]:
        """Each service's row: the last one where its figures as shown and its bars did not
        change, its bars kept where only the figures did (the hour's points change once a
        minute; rates move past the digits shown every refresh)."""
        rates = s.history.get("rate", {})
        rows: dict[str, tuple[object, Points, object, tuple[Text, ...]]] = {}
        for r in s.services:
            points = rates.get(r.name, ())
            figures = service_figures(r)
            old = self._rows.get(r.name)
            bars = None
            if old is not None and old[2] is colours and old[1] == points:
                if old[0] == figures:
                    rows[r.name] = old
                    continue
                bars = old[3][-1]
            rows[r.name] = (figures, points, colours, service_row(figures, points, colours, bars))
        self._rows = rows
        return [(name, row[3]) for name, row in rows.items()]

    def _sync_services(self, rows: list[Row]) -> None:
        # The same row objects in the same order: nothing to compare cell by cell.
        shown = self._shown.get("metrics-services")
        if (
            isinstance(shown, list)
            and len(shown) == len(rows)
            and all(a[0] == b[0] and a[1] is b[1] for a, b in zip(shown, rows, strict=True))
        ):
            return
        self._shown["metrics-services"] = rows
        table = self.query_one("#metrics-services", StatsTable)
        count = table.row_count
        table.set_rows([CellRow(key, tuple(cells)) for key, cells in rows])
        if table.row_count != count:
            table.refresh(layout=True)  # its height is its rows (height: auto)

    def _render_service(self, s: MetricsSnapshot, colours: Colours) -> None:
        service = self.opened or ""
        title = f"{one_line(service, 80)} · operations and the last hour (Esc: back)"
        self._show("metrics-service-title", title, lambda: title)
        width = max(10, min(60, self.size.width - 40))
        key = (service, width, s.service(service), chart_points(s, service), id(colours))
        self._show("metrics-charts", key, lambda: charts_text(s, service, width, colours))
        ops = s.operations if s.focus == service else ()
        if self._shown.get("metrics-operations") != (service, ops):
            self._shown["metrics-operations"] = (service, ops)
            sync_rows(self.query_one("#metrics-operations", ArcTable), operation_rows(ops))

    # Keys ------------------------------------------------------------------------------
    def on_stats_table_selected(self, event: StatsTable.Selected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        """Open the service under the cursor: its operations and charts."""
        key = self.query_one("#metrics-services", StatsTable).cursor_key
        if key is None:
            return
        self.opened = key
        self.query_one("#metrics-panels", ContentSwitcher).current = "metrics-service"
        self._shown.pop("metrics-operations", None)
        sync_rows(self.query_one("#metrics-operations", ArcTable), [])
        if self.snapshot is not None:
            self._render_service(self.snapshot, self._colours())
        self._focus_table()
        self.poller.request()

    def action_back(self) -> None:
        """Close the prompt's answer, or go back from a service to the overview."""
        prompt = self.query_one("#metrics-prompt", Input)
        scroll = self.query_one("#metrics-result-scroll")
        if prompt.display or scroll.display:
            prompt.display = False
            scroll.display = False
            self._focus_table()
            return
        self.opened = None
        self.query_one("#metrics-panels", ContentSwitcher).current = "metrics-overview"
        self._focus_table()

    def action_window(self) -> None:
        """The next rate window (1m, 5m, 15m, 30m, 1h)."""
        self.window = WINDOWS[(WINDOWS.index(self.window) + 1) % len(WINDOWS)]
        self.notify(f"rate window {self.window}", timeout=2)
        self.poller.request()

    def action_prompt(self) -> None:
        """Open the PromQL prompt."""
        prompt = self.query_one("#metrics-prompt", Input)
        prompt.display = True
        prompt.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "metrics-prompt":
            return
        event.stop()
        expr = event.value.strip()
        if not expr:
            return
        with self._lock:
            reader = self._reader
        if reader is None:
            self._show_result(QueryResult(expr, time.time(), error="no Prometheus to ask yet"))
            return
        self.run_worker(
            lambda: self._ask(reader, expr), thread=True, exit_on_error=False, group="promql"
        )

    def _ask(self, reader: Any, expr: str) -> None:
        result = reader.run_query(expr)
        self.app.call_from_thread(self._show_result, result)

    def _show_result(self, result: QueryResult) -> None:
        self.result = result
        scroll = self.query_one("#metrics-result-scroll")
        scroll.display = True
        width = max(10, min(60, self.size.width - 6))
        self.query_one("#metrics-result", Static).update(query_text(result, width, self._colours()))
