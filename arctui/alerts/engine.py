"""The alert engine: the observer the recorder calls after each sample.

`AlertEngine(frame, events) -> events`: the rules say what holds now; a condition that
held for its rule's `for_s` fires once (one message per incident, not per sample); when
it no longer holds, the incident resolves with one "resolved" message. Messages go to
`Delivery` (a queue: the call never waits on a receiver). Per rule, at most
`max_per_hour` alert messages are sent; beyond that, and during quiet hours, an alert is
recorded but held, and sent later if it is still firing then. A resolved message goes
only where its alert went (even in quiet hours: it is the good news). Every event text is
one line, sanitized and redacted, as the store wants it.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arctui.alerts.base import Condition, Rule
from arctui.alerts.delivery import Delivery, Message, targets_from
from arctui.alerts.rules import TITLES, build_rules, evaluate
from arctui.config.alerts import parse_quiet_hours
from arctui.config.masking import Redactor
from arctui.record.frame import Event, Frame
from arctui.text import clean, one_line
from arctui.units import duration

HOUR = 3600.0


@dataclass
class Incident:
    """One condition from the moment it was first seen until it clears."""

    cond: Condition
    began: float  # when it began (the data's `since`, else first seen)
    fired_at: float | None = None  # when it fired (held for for_s until then)
    sent: bool = False  # its alert message went to delivery
    held: str = ""  # why it was not sent yet: quiet hours, rate limit


def stamp(ts: float) -> str:
    """A time for a message: local, with its zone."""
    return time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(ts))


class AlertEngine:
    """Rules, incidents and delivery; call it with each frame (the recorder's observer)."""

    def __init__(
        self,
        alerts: Mapping[str, Any],
        redactor: Redactor,
        delivery: Delivery | None = None,
        *,
        interval: float = 5.0,
        project: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.rules: dict[str, Rule] = {r.id: r for r in build_rules(alerts, interval)}
        self.redactor = redactor
        self.delivery = delivery
        self.project = project
        self.clock = clock
        quiet = alerts.get("quiet_hours")
        self.quiet = parse_quiet_hours(quiet) if isinstance(quiet, str) else None
        self.incidents: dict[str, Incident] = {}
        self._sent: dict[str, deque[float]] = {}  # rule -> times alert messages went out

    def resume(self, firing: Iterable[Event]) -> None:
        """Take over incidents an earlier run left firing (the store's unresolved alerts),
        so a restarted recorder neither repeats their alerts nor forgets to resolve them."""
        for e in firing:
            d = e.data
            rule, key = str(d.get("rule", "")), str(d.get("key", ""))
            if rule not in self.rules or not key:
                continue
            cond = Condition(
                rule,
                key,
                e.service,
                str(d.get("figure", "")),
                str(d.get("threshold", "")),
                str(d.get("look", "")),
                severity=str(d.get("severity", "warning")),
            )
            began = float(d.get("since") or e.ts)
            sent = bool(d.get("sent", True))
            self.incidents[cond.incident] = Incident(cond, began, e.ts, sent=sent)

    def __call__(self, frame: Frame, events: list[Event]) -> list[Event]:
        return self.evaluate(frame)

    def evaluate(self, frame: Frame) -> list[Event]:
        """The alert and resolved events of this frame, plus delivery outcomes since the last."""
        now = frame.ts
        out: list[Event] = []
        seen: set[str] = set()
        for cond in evaluate(list(self.rules.values()), frame):
            seen.add(cond.incident)
            inc = self.incidents.get(cond.incident)
            if inc is None:
                began = cond.since if cond.since is not None and cond.since <= now else now
                inc = self.incidents[cond.incident] = Incident(cond, began)
            else:
                inc.cond = cond  # the figure now; `began` stays
            if inc.fired_at is None:
                if now - inc.began >= self.rules[cond.rule].for_s:
                    inc.fired_at = now
                    out.append(self._fire(inc, now))
            elif not inc.sent:
                self._send_held(inc, now, out)
        for key in [k for k in self.incidents if k not in seen]:
            inc = self.incidents.pop(key)
            if inc.fired_at is not None:
                out.append(self._resolve(inc, now))
        if self.delivery is not None:
            out.extend(self.delivery.drain())
        return out

    # -- firing, holding, resolving --------------------------------------------------------

    def _hold_reason(self, rule: str, now: float) -> str:
        if self.quiet is not None and in_quiet_hours(self.quiet, now):
            return "quiet hours"
        sent = self._sent.setdefault(rule, deque())
        while sent and now - sent[0] >= HOUR:
            sent.popleft()
        limit = float(self.rules[rule].params.get("max_per_hour", 6))
        return "rate limit" if len(sent) >= limit else ""

    def _try_send(self, inc: Incident, now: float) -> bool:
        inc.held = self._hold_reason(inc.cond.rule, now)
        if inc.held:
            return False
        self._sent[inc.cond.rule].append(now)
        inc.sent = True
        if self.delivery is not None:
            self.delivery.submit(self._message(inc, now, resolved=False))
        return True

    def _fire(self, inc: Incident, now: float) -> Event:
        sent = self._try_send(inc, now)
        return self._event("alert", inc, now, sent=sent)

    def _send_held(self, inc: Incident, now: float, out: list[Event]) -> None:
        if self._try_send(inc, now):  # quiet hours ended, or the rate allows it again
            out.append(self._event("alert", inc, now, sent=True, note="sent after being held"))

    def _resolve(self, inc: Incident, now: float) -> Event:
        if inc.sent and self.delivery is not None:
            self.delivery.submit(self._message(inc, now, resolved=True))
        return self._event("alert-resolved", inc, now, sent=inc.sent)

    # -- texts -------------------------------------------------------------------------

    def _safe(self, text: str, limit: int) -> str:
        return self.redactor.redact(one_line(text, limit))

    def _event(self, kind: str, inc: Incident, now: float, *, sent: bool, note: str = "") -> Event:
        c = inc.cond
        title = TITLES.get(c.rule, c.rule)
        who = c.service or "host"
        if kind == "alert":
            text = f"{title}: {who}: {c.figure} ({c.threshold}, since {stamp(inc.began)})"
            if not sent:
                text += f"; not sent: {inc.held}"
        else:
            text = f"resolved: {title}: {who} (lasted {duration(now - inc.began)})"
        if note:
            text += f"; {note}"
        data: dict[str, Any] = {
            "rule": c.rule,
            "key": self._safe(c.key, 200),
            "incident": self._safe(c.incident, 250),
            "severity": c.severity,
            "figure": self._safe(c.figure, 300),
            "threshold": self._safe(c.threshold, 200),
            "since": inc.began,
            "look": self._safe(c.look, 300),
            "sent": sent,
            "held": inc.held if not sent else "",
        }
        if c.detail:
            data["detail"] = self._safe(c.detail, 300)
        return Event(now, kind, self._safe(c.service, 100), self._safe(text, 500), data)

    def _message(self, inc: Incident, now: float, *, resolved: bool) -> Message:
        c = inc.cond
        title = TITLES.get(c.rule, c.rule)
        who = c.service or "the host"
        where = f" ({self.project})" if self.project else ""
        if resolved:
            head = f"RESOLVED {who}: {title}{where}"
            lines = [
                f"{title} on {who} has cleared.",
                f"began:     {stamp(inc.began)}",
                f"cleared:   {stamp(now)} (lasted {duration(now - inc.began)})",
                f"was:       {c.figure}",
            ]
            kind = "success"
        else:
            head = f"{c.severity.upper()} {who}: {title}{where}"
            lines = [
                f"service:   {who}",
                f"figure:    {c.figure}",
                f"threshold: {c.threshold}",
                f"since:     {stamp(inc.began)} ({duration(now - inc.began)} ago)",
                f"look at:   {c.look}",
            ]
            if c.detail:
                lines.append(f"evidence:  {one_line(c.detail, 300)}")
            kind = "failure" if c.severity == "critical" else "warning"
        body = self.redactor.redact(clean("\n".join(lines), 3000))
        return Message(self._safe(head, 250), body, kind, c.incident, c.service)

    def close(self, timeout: float | None = None) -> list[Event]:
        """The recorder's exit: flush delivery (bounded), and its last outcomes to store."""
        if self.delivery is None:
            return []
        if timeout is None:
            self.delivery.close()
        else:
            self.delivery.close(timeout)
        return self.delivery.drain()


def in_quiet_hours(quiet: tuple[int, int], ts: float) -> bool:
    """Whether local time `ts` falls in the range (which may span midnight)."""
    t = time.localtime(ts)
    minute = t.tm_hour * 60 + t.tm_min
    start, end = quiet
    return start <= minute < end if start < end else minute >= start or minute < end


def engine_for(
    session: Any, interval: float | None = None, store: Path | None = None
) -> AlertEngine:
    """The session's engine: its settings, its redactor, delivery to its targets (the
    settings' and ARCTUI_ALERT_URLS), and the incidents the project's store left firing."""
    alerts = session.settings.alerts
    targets = targets_from(alerts, session.environ)
    delivery = Delivery(targets, session.redactor, clock=session.clock) if targets else None
    every = interval or session.settings.recorder.interval
    engine = AlertEngine(
        alerts, session.redactor, delivery, interval=every, project=session.project
    )
    with contextlib.suppress(Exception):  # no store yet, or unreadable: start afresh
        from arctui.alerts.status import firing, read_alert_events, store_of

        path = store or store_of(session)
        engine.resume(firing(read_alert_events(path, session.clock())))
    return engine
