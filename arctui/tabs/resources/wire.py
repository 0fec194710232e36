"""Resources snapshots as JSON lines: what `arctui agent` prints on a remote host and the
agent source reads back here (issue 24).

The line comes from another machine, so it is outside data: every field is checked
against its dataclass's annotation (a wrong type is an error, not a crash later), unknown
keys are ignored (a newer agent may send more), strings are capped. Text is still cleaned
where it is shown, like every engine-provided name. No Textual.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any, TypeVar

from arctui.tabs.resources.models import ContainerStats, HostStats, OomEvent, ResourcesSnapshot

WIRE_VERSION = 1
MAX_TEXT = 512  # a container name, id, mode or docker root
MAX_ROWS = 5000

T = TypeVar("T")
_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "None": (type(None),),
}


class WireError(ValueError):
    """A line that is not a snapshot of this wire version."""


def encode(snapshot: ResourcesSnapshot) -> str:
    """One line (no newline) holding the snapshot."""
    body = dataclasses.asdict(snapshot)
    return json.dumps({"v": WIRE_VERSION, "snapshot": body}, separators=(",", ":"))


def _allowed(annotation: str) -> tuple[type, ...]:
    out: tuple[type, ...] = ()
    for name in annotation.split("|"):
        out += _TYPES.get(name.strip(), ())
    return out


def _record(cls: type[T], data: Any) -> T:
    """A flat frozen dataclass from a dict, each field's type checked."""
    if not isinstance(data, dict):
        raise WireError(f"{cls.__name__}: not an object")
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.name not in data:
            continue  # the default (an older agent)
        value = data[field.name]
        allowed = _allowed(str(field.type))
        is_bool = isinstance(value, bool)
        if not isinstance(value, allowed) or (is_bool and bool not in allowed):
            raise WireError(f"{cls.__name__}.{field.name}: {type(value).__name__}")
        if isinstance(value, float) and not math.isfinite(value):
            raise WireError(f"{cls.__name__}.{field.name}: not a finite number")
        if isinstance(value, str):
            value = value[:MAX_TEXT]
        values[field.name] = value
    try:
        return cls(**values)
    except TypeError as exc:  # a required field missing
        raise WireError(f"{cls.__name__}: {exc}") from None


def decode(line: str | bytes) -> ResourcesSnapshot:
    """The snapshot in one agent line. Raises WireError."""
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise WireError(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("v") != WIRE_VERSION:
        version = data.get("v") if isinstance(data, dict) else None
        raise WireError(f"wire version {version!r}, expected {WIRE_VERSION}")
    body = data.get("snapshot")
    if not isinstance(body, dict):
        raise WireError("no snapshot")
    rows = body.get("containers")
    ooms = body.get("oom_events", [])
    if not isinstance(rows, list) or not isinstance(ooms, list) or len(rows) > MAX_ROWS:
        raise WireError("containers: not a list")
    flat = {k: v for k, v in body.items() if k not in ("containers", "host", "oom_events")}
    head = _record(_Head, flat)
    return ResourcesSnapshot(
        project=head.project,
        containers=tuple(_record(ContainerStats, r) for r in rows),
        host=_record(HostStats, body.get("host")),
        taken_at=head.taken_at,
        mode=head.mode,
        oom_events=tuple(_record(OomEvent, o) for o in ooms[-100:]),
    )


@dataclasses.dataclass(frozen=True)
class _Head:
    """The snapshot's own scalar fields (checked like the rows)."""

    project: str
    taken_at: float
    mode: str
