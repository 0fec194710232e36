"""Warnings a lifecycle plan carries when the stack is not what this checkout declares.

The Services tab marks a container started from another checkout's compose files (`⇄`)
and one no compose file declares (`?`), and the banner says when the file set does not
render. A confirmation is where an operator decides, so it says the same: a production
restart of a `⇄` service acts on another checkout's container, and compose refuses every
command of a file set that does not render. No Textual here.
"""

from __future__ import annotations

from arctui.config.masking import redact
from arctui.models import ServiceView, StackSnapshot
from arctui.text import one_line

# Verbs that create containers from this checkout's files (compose recreates a container
# whose configuration differs), and those that remove them.
_REPLACING = frozenset({"up", "scale"})
_REMOVING = frozenset({"down", "clean"})


def _foreign(service: ServiceView, verb: str) -> str:
    files = one_line(redact(service.foreign_config), 200)
    if verb in _REPLACING:
        effect = "this replaces it with this checkout's definition"
    elif verb in _REMOVING:
        effect = "this removes that checkout's container"
    else:
        effect = "this acts on that checkout's container"
    name = one_line(service.name, 60)
    return f"{name} runs from another checkout's compose files ({files}): {effect}."


def _undeclared(service: ServiceView) -> str:
    return (
        f"No compose file of this checkout declares {one_line(service.name, 60)}: compose may"
        " answer 'no such service', or act on a container it does not describe."
    )


def _rendering(snapshot: StackSnapshot) -> str:
    error = one_line(redact(snapshot.compose_error or ""), 300)
    if snapshot.compose_partial:
        return f"The compose files render only in part ({error}): the command may fail."
    return f"The compose files do not render ({error}): compose refuses to run until they do."


def plan_warnings(snapshot: StackSnapshot, verb: str, target: str | None) -> list[str]:
    """One sentence per way the plan's target differs from what this checkout declares.

    `target` None is the whole stack: every `⇄` and `?` service of it is named.
    """
    if target is None:
        services = list(snapshot.services)
    else:
        found = snapshot.service(target)
        services = [found] if found is not None else []
    warnings = [_foreign(s, verb) for s in services if s.foreign_config]
    warnings += [_undeclared(s) for s in services if s.undeclared]
    if snapshot.compose_error:
        warnings.append(_rendering(snapshot))
    return warnings


def with_warnings(consequence: str, snapshot: StackSnapshot, verb: str, target: str | None) -> str:
    """`consequence` followed by the plan's warnings (what the confirmation shows)."""
    return " ".join([consequence, *plan_warnings(snapshot, verb, target)]).strip()
