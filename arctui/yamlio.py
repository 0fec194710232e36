"""YAML reading through libyaml when PyYAML has it (the pure-Python parser is ~10x slower).

The shipped role catalog alone took 44 ms to parse in pure Python, a tenth of the time to
the first frame; themes, keymaps and settings are read at start-up too.

The operator's own files (settings, themes, keymaps) are read strictly
(`load_config_yaml`): a key given twice or a number like `.inf` is an error with its
line, not silently the last one or a retention of forever, and a file over
`MAX_CONFIG_BYTES` is refused before parsing (a 10 MB theme took 8 s and 540 MB to load).
"""

from __future__ import annotations

import math
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, ScalarNode

from arctui.quoting import quoted

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader

MAX_CONFIG_BYTES = 256 * 1024  # the largest shipped theme or keymap is under 4 KiB
_MERGE_TAG = "tag:yaml.org,2002:merge"


def load_yaml(text: str) -> Any:
    """Like `yaml.safe_load` (same types, same errors), faster where libyaml exists."""
    return yaml.load(text, Loader=_Loader)


class ConfigTooLarge(ValueError):
    """A config file over the size limit; the message says how large and the limit."""


class _StrictLoader(_Loader):  # type: ignore[misc, valid-type]
    """The safe loader, refusing duplicate keys and non-finite numbers (with the line)."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, ScalarNode):
                continue  # `<<:` merges may be overridden; complex keys are left to PyYAML
            key = self.construct_object(key_node, deep=False)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ConstructorError(
                    None,
                    None,
                    f"duplicate key {quoted(key)} (first on line {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = line
        return super().construct_mapping(node, deep)  # type: ignore[no-any-return]

    def construct_finite_float(self, node: ScalarNode) -> float:
        value = float(self.construct_yaml_float(node))
        if not math.isfinite(value):
            raise ConstructorError(
                None, None, f"{quoted(node.value)} is not a finite number", node.start_mark
            )
        return value

    def construct_bounded_int(self, node: ScalarNode) -> int:
        try:
            return int(self.construct_yaml_int(node))
        except ValueError:  # over Python's 4,300-digit limit: a ValueError, not YAML's
            raise ConstructorError(
                None, None, f"{quoted(node.value)} is too long a number", node.start_mark
            ) from None


_StrictLoader.add_constructor("tag:yaml.org,2002:float", _StrictLoader.construct_finite_float)
_StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_bounded_int)


def read_config_text(path: Path, what: str, limit: int = MAX_CONFIG_BYTES) -> str:
    """The file's text, or ConfigTooLarge when it is over `limit` bytes (OSError as usual).

    At most `limit + 1` bytes are read, whatever the size says (a growing file); a FIFO
    or device is refused unopened (opening a FIFO blocks until someone writes to it).
    """
    if not stat.S_ISREG(path.stat().st_mode):
        raise OSError(f"{what} file {path} is not a regular file")
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        try:
            size = f"{path.stat().st_size / 1024 / 1024:.1f} MiB"
        except OSError:
            size = "larger"
        raise ConfigTooLarge(
            f"{what} file is {size if size != '0.0 MiB' else 'larger'}: over the"
            f" {limit // 1024} KiB limit, not read"
        )
    return data.decode("utf-8")


def load_config_yaml(text: str) -> Any:
    """`load_yaml` for the operator's settings, themes and keymaps: duplicate keys and
    `.inf`/`.nan` raise a yaml.MarkedYAMLError (its `problem` and `problem_mark` say
    what and where)."""
    return yaml.load(text, Loader=_StrictLoader)


def yaml_problem(exc: yaml.YAMLError) -> tuple[str, int | None]:
    """What a YAML error says and its 1-based line, for a one-line message."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "invalid YAML"
    return str(problem), (mark.line + 1 if mark is not None else None)
