"""Alert settings: the `alerts:` mapping of settings.yaml, with defaults for the platform.

alerts:
  targets: [json://127.0.0.1:8099/hook, "mailto://user:pass@mail.example?to=oncall@example"]
  quiet_hours: "22:00-07:00"    # local time: alerts are recorded, sent when it ends if still firing
  rules:                        # per rule: enabled, max_per_hour, and its own figures
    service_down: {for_s: 120}
    memory: {percent: 95}
    redis_evictions: {enabled: false}

ARCTUI_ALERT_URLS (comma-separated) adds targets for one run. The rule ids and their
figures are `RULE_DEFAULTS`; this module only checks values (the rules are arctui.alerts).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from arctui.config.errors import SettingError

# Every rule also takes these.
COMMON: dict[str, float | bool] = {"enabled": True, "max_per_hour": 6}

# rule id -> its figures and their defaults. Seconds are `_s`; percentages 0-100.
# The platform's limits (512M-2G per service, Redis maxmemory 512mb noeviction, the
# guide's RPO of 1 h) are why: memory and Redis alert at 90 % (Resources flags 80 %),
# Postgres at 80 % of max_connections (the default 100 runs out quietly).
RULE_DEFAULTS: dict[str, dict[str, float]] = {
    "service_down": {"for_s": 60},  # down, unhealthy or degraded this long
    "restart_loop": {"count": 3, "window_s": 300},  # this many restarts within the window
    "oom": {"hold_s": 300},  # an OOM kill; resolved after this long without another
    "memory": {"percent": 90, "for_s": 60},  # of the container's memory limit
    "disk": {"min_free_pct": 10, "min_free_mib": 2048, "for_s": 0},  # Docker's data root
    "pg_connections": {"percent": 80, "for_s": 30},  # of max_connections
    "pg_blocker": {"for_s": 30},  # a backend has blocked others this long
    "pg_replication_lag": {"max_lag_s": 30, "for_s": 60},
    "redis_memory": {"percent": 90, "for_s": 60},  # of maxmemory
    "redis_evictions": {"hold_s": 300},  # keys evicted; resolved after a quiet hold
    "redis_bgsave": {"for_s": 0},  # the last BGSAVE or AOF write failed
    "backup_rpo": {"for_s": 0},  # a datastore's newest verified backup is past the RPO
    "recorder_behind": {"factor": 3, "hold_s": 300},  # a sample gap over factor x interval
    "datastore_down": {"for_s": 60},  # Postgres or Redis unreadable while its container runs
}

_KNOWN = ("targets", "quiet_hours", "rules")
_HOURS = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)$")


def parse_quiet_hours(text: str) -> tuple[int, int]:
    """`22:00-07:00` -> (start, end) in minutes after midnight; ValueError if malformed."""
    m = _HOURS.match(text.strip())
    if m is None:
        raise ValueError("a local time range like 22:00-07:00")
    start = int(m.group(1)) * 60 + int(m.group(2))
    end = int(m.group(3)) * 60 + int(m.group(4))
    if start == end:
        raise ValueError("a range of some length (start and end are equal)")
    return start, end


def _number(rule: str, key: str, value: object) -> float:
    where = f"rules.{rule}.{key}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingError(where, "must be a number", value)
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or number < 0:
        raise SettingError(where, "must be a finite number, 0 or more", value)
    if key in ("percent", "min_free_pct") and number > 100:
        raise SettingError(where, "is a percentage (0-100)", value)
    return number


def _rule(rule: str, value: object) -> dict[str, float | bool]:
    if rule not in RULE_DEFAULTS:
        raise SettingError(f"rules.{rule}", f"is not a rule (rules: {', '.join(RULE_DEFAULTS)})")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SettingError(f"rules.{rule}", "must be a mapping (enabled, max_per_hour, ...)")
    known = {**COMMON, **RULE_DEFAULTS[rule]}
    out: dict[str, float | bool] = {}
    for key, item in value.items():
        if key not in known:
            valid = ", ".join(known)
            raise SettingError(f"rules.{rule}.{key}", f"is not a figure of this rule ({valid})")
        if key == "enabled":
            if not isinstance(item, bool):
                raise SettingError(f"rules.{rule}.enabled", "must be true or false", item)
            out[key] = item
        else:
            out[str(key)] = _number(rule, str(key), item)
    return out


def check_alert_settings(value: object) -> Mapping[str, Any]:
    """Validate the `alerts:` mapping; SettingError names the bad key (never a target URL)."""
    if not isinstance(value, Mapping):
        raise ValueError("a mapping (targets, quiet_hours, rules)")
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key not in _KNOWN:
            raise SettingError(str(key), f"is not an alert setting (valid: {', '.join(_KNOWN)})")
        if key == "targets":
            # A target URL holds tokens and passwords: the error names the entry, not it.
            if not isinstance(item, list):
                raise SettingError("targets", "must be a list of Apprise URLs (json://host/...)")
            for i, url in enumerate(item):
                if not isinstance(url, str) or "://" not in url or any(c.isspace() for c in url):
                    raise SettingError(f"targets[{i}]", "must be an Apprise URL (scheme://...)")
            out["targets"] = tuple(item)
        elif key == "quiet_hours":
            if item is None:
                continue
            try:
                parse_quiet_hours(item if isinstance(item, str) else "")
            except ValueError as exc:
                raise SettingError("quiet_hours", f"must be {exc}", item) from None
            out["quiet_hours"] = item.strip()
        else:
            if item is None:
                item = {}
            if not isinstance(item, Mapping):
                raise SettingError("rules", "must be a mapping of rule id to its figures")
            out["rules"] = MappingProxyType(
                {str(r): MappingProxyType(_rule(str(r), v)) for r, v in item.items()}
            )
    return MappingProxyType(out)


def rule_params(alerts: Mapping[str, Any], rule: str) -> dict[str, float | bool]:
    """A rule's figures: the defaults, then what the settings change."""
    rules = alerts.get("rules") or {}
    return {**COMMON, **RULE_DEFAULTS[rule], **(rules.get(rule) or {})}
