"""Delivery of alert messages through Apprise, on its own thread, never in the sampler's way.

`Delivery.submit` only puts a message on a bounded queue (a full queue drops it and says
so); one worker thread sends each message to each target, retries a failure with backoff
(2, 4, 8 ... s, up to `attempts` tries) and records every attempt's outcome as a `delivery`
`Event` (sent, retrying, gave-up, dropped) that the engine hands to the recorder with its
next sample (`drain`), so `arctui history events` shows it. Apprise's own
timeouts bound one attempt (4 s connect and read for HTTP targets, 15 s for SMTP); a
receiver that hangs delays only later messages, never a sample. Every title, body and
error passes the session's redactor, and targets are shown only as Apprise's privacy URL.

At exit (`close`) what is still queued, and every retry at once, is sent for at most
`FLUSH_S`; what is left then is recorded as given up. A flush rather than a queue kept on
disk for the next start: an alert or "resolved" is news when it happens, and a recorder
restarted hours later would deliver stale news (while the restarted engine already
re-reads the store's firing incidents, so nothing is forgotten).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import os
import queue
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from arctui.config.masking import Redactor, is_secret_key
from arctui.config.settings import url_secrets
from arctui.record.frame import Event
from arctui.text import clean, one_line

ENV_URLS = "ARCTUI_ALERT_URLS"
QUEUE_SIZE = 200
ATTEMPTS = 4
BACKOFF_S = 2.0
MAX_BACKOFF_S = 60.0
OUTCOMES_KEPT = 1000
BODY_LIMIT = 2000
FLUSH_S = 10.0  # the exit's bound (systemd waits 90 s by default before killing)
SENT, RETRYING, GAVE_UP, DROPPED = "sent", "retrying", "gave-up", "dropped"
STOPPED = "the recorder stopped before it could be sent"


@dataclass(frozen=True)
class Message:
    """One alert message (title and body still to be redacted)."""

    title: str
    body: str
    kind: str = "info"  # Apprise notify type: info | success | warning | failure
    incident: str = ""  # rule:key, to tie outcomes to the alert
    service: str = ""


Sender = Callable[[str, str, str, str], tuple[bool, str]]  # (url, title, body, kind) -> ok, why


def targets_from(
    alerts: Mapping[str, object], environ: Mapping[str, str] | None = None
) -> list[str]:
    """The settings' targets, then ARCTUI_ALERT_URLS (comma-separated), each once."""
    env = os.environ if environ is None else environ
    listed = list(alerts.get("targets") or ())  # type: ignore[call-overload]
    listed += [u.strip() for u in env.get(ENV_URLS, "").split(",") if u.strip()]
    return list(dict.fromkeys(str(u) for u in listed))


def target_secrets(url: str) -> list[str]:
    """Parts of a target URL that are secrets: the password, secret-named query values."""
    found = url_secrets(url)
    try:
        query = parse_qsl(urlsplit(url).query, keep_blank_values=False)
    except ValueError:
        return found
    found += [v for k, v in query if is_secret_key(k) and len(v) >= 4]
    return found + _masked_parts(url)


def _masked_parts(url: str) -> list[str]:
    """The pieces before `?` that Apprise's privacy form masks (tokens in the path:
    `discord://ID/TOKEN`, `slack://A/B/C`): whatever it hides is a secret."""
    shown = unquote(label(url))
    with contextlib.suppress(ValueError):
        shown += f" {urlsplit(url).username or ''}"  # a user name is not a secret
    pieces = re.split(r"[/:@#]+", url.partition("://")[2].partition("?")[0])
    return [p for p in pieces if len(p) >= 4 and p not in shown and unquote(p) not in shown]


def label(url: str) -> str:
    """How a target is named in outcomes and on screen: Apprise's privacy form."""
    try:
        import apprise

        plugin = apprise.Apprise.instantiate(url)
        if plugin is not None:
            return str(plugin.url(privacy=True)).partition("?")[0]  # not Apprise's defaults
    except Exception:  # an unknown scheme: fall back to scheme://host
        pass
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"


def apprise_send(url: str, title: str, body: str, kind: str) -> tuple[bool, str]:
    """One attempt through Apprise: (delivered, why not). Apprise's log says why."""
    import apprise

    try:
        asset = apprise.AppriseAsset(storage_mode="memory")  # no files of Apprise's own
    except TypeError:  # an Apprise without persistent storage
        asset = apprise.AppriseAsset()
    notifier = apprise.Apprise(asset=asset)
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as logs:
        if not notifier.add(url):
            return False, "not a URL Apprise can send to (check the scheme and its fields)"
        try:
            ok = bool(notifier.notify(body=body, title=title, notify_type=kind))
        except Exception as exc:  # a plugin bug must not end the delivery thread
            return False, f"{type(exc).__name__}: {exc}"
        lines = [line for line in logs.getvalue().splitlines() if line.strip()]
    return ok, "" if ok else (lines[-1] if lines else "Apprise reported a failure")


class Delivery:
    """Sends messages to every target on one worker thread; outcomes become Events."""

    def __init__(
        self,
        targets: Iterable[str],
        redactor: Redactor,
        *,
        send: Sender = apprise_send,
        attempts: int = ATTEMPTS,
        backoff: float = BACKOFF_S,
        queue_size: int = QUEUE_SIZE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.targets = list(targets)
        self.redactor = redactor
        for url in self.targets:  # a token in a URL must not come back in an error text
            redactor.learn(target_secrets(url))
        self.labels = {url: redactor.redact(one_line(label(url), 200)) for url in self.targets}
        self._send = send
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.clock = clock
        self._queue: queue.Queue[tuple[str, Message, int] | None] = queue.Queue(queue_size)
        self._outcomes: deque[Event] = deque(maxlen=OUTCOMES_KEPT)
        self._lock = threading.Lock()
        self._stop = threading.Event()  # no new messages: flushing, then stopped
        self._flush_by: float | None = None  # monotonic deadline of the exit's flush
        self._retries: list[tuple[float, int, tuple[str, Message, int]]] = []  # (due, n, job)
        self._thread: threading.Thread | None = None

    # -- called by the engine, on the recorder's thread: never blocks ---------------------

    def submit(self, message: Message) -> None:
        """Queue the message for every target (a full queue drops it, recorded)."""
        if not self.targets or self._stop.is_set():
            return
        self._start()
        for url in self.targets:
            try:
                self._queue.put_nowait((url, message, 1))
            except queue.Full:
                self._record(url, message, 0, DROPPED, "the delivery queue is full")

    def drain(self) -> list[Event]:
        """The outcomes recorded since the last call, oldest first."""
        with self._lock:
            out = list(self._outcomes)
            self._outcomes.clear()
        return out

    def close(self, timeout: float = FLUSH_S) -> None:
        """Send what is queued (retries at once) for at most `timeout` s, then stop; what
        is still unsent is recorded as given up (`drain` has those outcomes)."""
        self._stop.set()
        if self._thread is None:
            return
        self._flush_by = time.monotonic() + max(0.0, timeout)
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)  # wakes a worker waiting for a message or a retry
        # One attempt in flight may outlast the deadline by its own timeout: not waited for.
        self._thread.join(max(0.0, timeout) + 0.5)
        self._give_up_rest()

    def _give_up_rest(self) -> None:
        """Record every message not sent by the deadline as given up (any thread)."""
        with self._lock:
            left, self._retries = [job for _, _, job in self._retries], []
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                left.append(job)
        for url, message, attempt in left:
            self._record(url, message, attempt, GAVE_UP, STOPPED)

    # -- the worker ----------------------------------------------------------------------

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="arctui-alerts", daemon=True)
            self._thread.start()

    def _next_job(self) -> tuple[str, Message, int] | None:
        """The next job: a due retry first (any retry while flushing), else a message;
        None when flushing is over (nothing left, or the deadline passed)."""
        while True:
            flush_by = self._flush_by
            now = time.monotonic()
            if flush_by is not None and now >= flush_by:
                return None
            with self._lock:
                if self._retries and (flush_by is not None or self._retries[0][0] <= now):
                    return heapq.heappop(self._retries)[2]
                due = self._retries[0][0] if self._retries else None
            if flush_by is not None:
                try:  # flushing: what is queued, without waiting for more
                    job = self._queue.get_nowait()
                except queue.Empty:
                    return None
            else:
                wait = max(0.0, due - now) if due is not None else None
                try:
                    job = self._queue.get(timeout=wait)
                except queue.Empty:
                    continue
            if job is not None:
                return job
            # None: close() woke us; the loop now flushes

    def _run(self) -> None:
        order = itertools.count()
        while True:
            job = self._next_job()
            if job is None:
                self._give_up_rest()
                return
            url, message, attempt = job
            ok, _why = self.send_now(url, message, attempt)
            if not ok and attempt < self.attempts:
                delay = min(MAX_BACKOFF_S, self.backoff * 2 ** (attempt - 1))
                retry = (time.monotonic() + delay, next(order), (url, message, attempt + 1))
                with self._lock:
                    heapq.heappush(self._retries, retry)

    def send_now(self, url: str, message: Message, attempt: int = 1) -> tuple[bool, str]:
        """One attempt to one target, its outcome recorded (also used by `alerts test`)."""
        title = self.redactor.redact(one_line(message.title, 250))
        body = self.redactor.redact(clean(message.body, BODY_LIMIT))
        try:
            ok, why = self._send(url, title, body, message.kind)
        except Exception as exc:  # the worker must survive anything a sender raises
            ok, why = False, f"{type(exc).__name__}: {exc}"
        why = self.redactor.redact(one_line(why, 300))
        status = SENT if ok else RETRYING if attempt < self.attempts else GAVE_UP
        self._record(url, message, attempt, status, why)
        return ok, why

    def _record(self, url: str, message: Message, attempt: int, status: str, why: str) -> None:
        target = self.labels.get(url, "?")
        said = {RETRYING: "failed, will retry", GAVE_UP: "gave up"}.get(status, status)
        text = f"alert delivery to {target}: {said}"
        if attempt:
            text += f" (attempt {attempt} of {self.attempts})"
        if why:
            text += f": {why}"
        data = {
            "incident": message.incident,
            "delivery": status,
            "target": target,
            "attempt": attempt,
            "error": why,
        }
        event = Event(self.clock(), "delivery", message.service, one_line(text, 400), data)
        with self._lock:
            self._outcomes.append(event)
