"""`arctui alerts`: what is firing and what fired recently; `arctui alerts test TARGET`.

    arctui alerts [--since 24h] [--json]     firing first, then the recent ones (the store)
    arctui alerts test TARGET                 TARGET: an Apprise URL, or the number of a
                                              configured target (1, 2 ...), or `all`

A test message goes through the gate (kind `alert-test`), one attempt per target:
refused in read-only mode (and in a replay), the audit record written first (no record,
no send), the outcome recorded. The entry names the target by Apprise's privacy form,
and the redactor has learnt the URL's secrets first (password, token query values, path
tokens Apprise masks). No typed confirmation, no production flag, even in production: it
changes nothing in the platform and only reaches the operator's own receivers.
Exit codes: 0 done (test: delivered), 1 nothing recorded / not delivered, 2 bad input
or refused.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from arctui.output import emit, emit_json, error

if TYPE_CHECKING:
    from arctui.alerts.delivery import Delivery, Message
    from arctui.ops.audit import AuditLog
    from arctui.ops.runner import ActionResult
    from arctui.session import Session

COMMANDS = ("alerts",)
SAFE_OUTPUT = True


def _since(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        value = float(text[:-1]) * units[text[-1]] if text[-1:] in units else float(text)
    except (ValueError, KeyError):
        raise argparse.ArgumentTypeError("a duration like 90m, 24h or 7d") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("a positive duration")
    return value


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("alerts", help="firing and recent alerts; `alerts test TARGET`")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--since", type=_since, default=24 * 3600.0, help="how far back (24h)")
    p.add_argument("action", nargs="?", choices=["test"], help="send a test message")
    p.add_argument("target", nargs="?", help="an Apprise URL, a target's number, or all")


def run(session: Session, args: argparse.Namespace) -> int:
    if args.action == "test":
        return test_command(session, args.target)
    return list_command(session, args)


def _store_path(session: Session, args: argparse.Namespace) -> Path:
    from arctui.record.store import default_path

    given = getattr(args, "store", None)
    return Path(given).expanduser() if given else default_path(session.project)


def list_command(session: Session, args: argparse.Namespace) -> int:
    from arctui.alerts.status import incidents, read_alert_events
    from arctui.record.store import StoreError

    path = _store_path(session, args)
    try:
        records = incidents(read_alert_events(path, session.clock(), args.since))
    except StoreError as exc:
        error(str(exc))
        return 1
    firing = [r for r in records if r.firing]
    recent = [r for r in reversed(records) if not r.firing]
    if args.json:
        emit_json(
            {
                "store": str(path),
                "firing": [_record_json(r) for r in firing],
                "recent": [_record_json(r) for r in recent],
            }
        )
        return 0
    if not records:
        emit(f"no alerts in the last {args.since / 3600:g} h ({path})")
        return 0
    emit(f"FIRING ({len(firing)})" if firing else "nothing firing")
    for r in firing:
        emit(f"  {_when(r.fired.ts)}  {r.fired.text}")
        emit(f"      look at: {r.fired.data.get('look', '')}")
        if r.deliveries:
            emit(f"      {r.deliveries[-1].text}")
    if recent:
        emit(f"recent ({len(recent)}, newest first)")
    for r in recent:
        end = r.resolved.ts if r.resolved else r.fired.ts
        emit(f"  {_when(r.fired.ts)} .. {_when(end)}  {r.fired.text}")
    return 0


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def _record_json(r: object) -> dict[str, object]:
    from arctui.alerts.status import AlertRecord

    assert isinstance(r, AlertRecord)
    return {
        "fired_at": r.fired.ts,
        "resolved_at": r.resolved.ts if r.resolved else None,
        "service": r.fired.service,
        "text": r.fired.text,
        **{k: v for k, v in r.fired.data.items() if k != "key"},
        "deliveries": [dict(e.data, at=e.ts) for e in r.deliveries],
    }


def test_command(session: Session, target: str | None, audit: AuditLog | None = None) -> int:
    from arctui.alerts.delivery import Delivery, targets_from
    from arctui.ops.runner import Outcome

    configured = targets_from(session.settings.alerts, session.environ)
    if not target:
        error("alerts test needs a TARGET: an Apprise URL, a target's number, or all")
        return 2
    if target == "all":
        urls = configured
    elif target.isdigit():
        n = int(target)
        urls = configured[n - 1 : n] if 1 <= n <= len(configured) else []
    else:
        urls = [target]
    if not urls:
        error(
            f"no such target (configured: {len(configured)}; "
            "see settings alerts.targets and ARCTUI_ALERT_URLS)"
        )
        return 2
    delivery = Delivery(urls, session.redactor, attempts=1, clock=session.clock)
    message = test_message(session)
    code = 0
    for url in urls:
        result = perform_alert_test(session, delivery, url, message, audit)
        name = delivery.labels[url]
        if result.outcome is Outcome.OK:
            emit(f"delivered to {name}")
        elif result.outcome is Outcome.REFUSED:
            error(f"REFUSED: {result.message}")
            return 2  # read-only or no audit log: the next targets would be refused too
        else:
            code = 1
            error(f"not delivered to {name}: {result.message}")
    return code


def test_message(session: Session) -> Message:
    from arctui.alerts.delivery import Message

    return Message(
        f"arctui test message ({session.project})",
        f"A test from `arctui alerts test` on project {session.project}, env {session.env}.\n"
        "If you read this, alerts reach you.",
        "info",
        "test",
    )


def perform_alert_test(
    session: Session,
    delivery: Delivery,
    url: str,
    message: Message,
    audit: AuditLog | None = None,
) -> ActionResult:
    """One test message to one target through the gate (`delivery` has learnt its secrets)."""
    from arctui.ops.gate import Gate
    from arctui.ops.lifecycle import Action
    from arctui.ops.runner import ActionResult, Outcome

    name = delivery.labels[url]  # the privacy form, never the URL itself
    # Not destructive: no typed confirmation, nothing the production rules ask for.
    action = Action(
        verb="alert-test",
        scope="alerts",
        target=name,
        project=session.project,
        env=session.env,
        command=("arctui", "alerts", "test", name),
        summary=f"send a test message to {name}",
        production=session.production,
    )

    def work() -> ActionResult:
        started = time.monotonic()
        ok, why = delivery.send_now(url, message)
        took = time.monotonic() - started
        if ok:
            return ActionResult(Outcome.OK, 0, took, (), f"delivered to {name}")
        return ActionResult(Outcome.FAILED, 1, took, (), why or "not delivered")

    return Gate(session, action, audit).run(work)
