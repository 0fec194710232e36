"""YAML reading through libyaml when PyYAML has it (the pure-Python parser is ~10x slower).

The shipped role catalog alone took 44 ms to parse in pure Python, a tenth of the time to
the first frame; themes, keymaps and settings are read at start-up too.
"""

from __future__ import annotations

from typing import Any

import yaml

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader


def load_yaml(text: str) -> Any:
    """Like `yaml.safe_load` (same types, same errors), faster where libyaml exists."""
    return yaml.load(text, Loader=_Loader)
