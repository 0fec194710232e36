"""The `commands:` setting: the operator's own commands, run from the Maintenance tab.

    commands:
      - name: pg-size                      # how it is called: arctui run pg-size SERVICE=postgres
        command: docker exec $CONTAINER du -sh /var/lib/postgresql/data
        scope: service                     # service (needs SERVICE) or stack (the default)
        help: size of the Postgres data directory
      - name: reindex
        command: docker exec $CONTAINER psql -U arc -c "REINDEX DATABASE arc_db"
        scope: service
        dangerous: true                    # refused in read-only mode; typed confirmation

`command` is split like a shell would split it (quotes kept together) but never run by a
shell: `$SERVICE`, `$CONTAINER` and `$ENV` (or `${...}`) are replaced inside each word. A
word that is a shell's `-c` script gets the value shell-quoted. Checked when the settings
are read: a typo here must not run something else later.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from arctui.config.errors import SettingError

VARIABLES = ("SERVICE", "CONTAINER", "ENV")
SCOPES = ("stack", "service")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_KEYS = ("name", "command", "scope", "dangerous", "help")
MAX_COMMANDS = 100


@dataclass(frozen=True)
class CustomCommand:
    """One user-defined command, validated."""

    name: str
    argv: tuple[str, ...]  # split, variables not yet replaced
    scope: str = "stack"
    dangerous: bool = False
    help: str = ""

    @property
    def variables(self) -> tuple[str, ...]:
        """The variables the command uses."""
        text = " ".join(self.argv)
        return tuple(v for v in VARIABLES if re.search(rf"\$(\{{{v}\}}|{v}\b)", text))


def _entry(i: int, item: object) -> CustomCommand:
    if not isinstance(item, dict):
        raise SettingError(str(i), "must be a mapping with name and command", item)
    unknown = [k for k in item if k not in _KEYS]
    if unknown:
        raise SettingError(f"{i}.{unknown[0]}", f"is not a key; valid keys: {', '.join(_KEYS)}")
    name = item.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise SettingError(f"{i}.name", "must be letters, digits, . _ - (at most 64)", name)
    command = item.get("command")
    if not isinstance(command, str) or not command.strip():
        raise SettingError(f"{i}.command", "must be a non-empty string", command)
    try:
        argv = tuple(shlex.split(command))
    except ValueError as exc:
        raise SettingError(f"{i}.command", f"does not split into words ({exc})") from None
    scope = item.get("scope", "stack")
    if scope not in SCOPES:
        raise SettingError(f"{i}.scope", f"must be one of {', '.join(SCOPES)}", scope)
    dangerous = item.get("dangerous", False)
    if not isinstance(dangerous, bool):
        raise SettingError(f"{i}.dangerous", "must be true or false", dangerous)
    help_text = item.get("help", "")
    if not isinstance(help_text, str):
        raise SettingError(f"{i}.help", "must be a string", help_text)
    found = CustomCommand(name, argv, str(scope), dangerous, help_text.strip())
    if scope == "stack" and {"SERVICE", "CONTAINER"} & set(found.variables):
        raise SettingError(f"{i}.scope", "must be service: the command uses $SERVICE/$CONTAINER")
    return found


def check_custom_commands(value: object) -> tuple[CustomCommand, ...]:
    """The validated `commands:` list (names unique)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError("a list of commands (name, command, scope, dangerous, help)")
    if len(value) > MAX_COMMANDS:
        raise ValueError(f"at most {MAX_COMMANDS} commands")
    out: list[CustomCommand] = []
    for i, item in enumerate(value):
        entry = _entry(i, item)
        if any(c.name == entry.name for c in out):
            raise SettingError(f"{i}.name", "is used twice", entry.name)
        out.append(entry)
    return tuple(out)


def describe(command: CustomCommand) -> dict[str, Any]:
    """As plain data (`arctui run --list --json`)."""
    return {
        "name": command.name,
        "command": shlex.join(command.argv),
        "scope": command.scope,
        "dangerous": command.dangerous,
        "help": command.help,
    }
