"""Level parsing on the shapes the platform's services write."""

from __future__ import annotations

import pytest

from arctui.sources.log_levels import is_continuation, parse_level
from arctui.tabs.logs.models import Level

E, W, I, D = Level.ERROR, Level.WARN, Level.INFO, Level.DEBUG  # noqa: E741


@pytest.mark.parametrize(
    ("text", "level"),
    [
        # JSON
        ('{"level":"error","msg":"boom"}', E),
        ('{"msg":"x","level":"WARNING"}', W),
        ('{"severity":"INFO","message":"ok"}', I),
        ('{"levelname":"DEBUG"}', D),
        ('{"log":{"level":"warn"}}', W),
        ('{"level":50,"msg":"pino error"}', E),
        ('{"level":30}', I),
        ('{"level":60}', E),
        ('{"level":20}', D),
        ('{"msg":"ERROR inside the message is not the level"}', None),
        ('  {"lvl":"crit"}  ', E),
        # key=value
        ('time="2026-12-01T14:00:00Z" level=error msg="upstream down"', E),
        ("level=warn ts=2026-12-01T14:00:00Z caller=x.go:1 msg=slow", W),
        ('logger=context t=2026 level=info msg="Request Completed"', I),
        ('severity="DEBUG" msg=x', D),
        ("lvl=eror msg=x", E),
        # plain text
        ("2026-12-01 14:00:00.123 UTC [42] ERROR:  relation does not exist", E),
        ("2026-12-01 14:00:00.123 UTC [42] FATAL:  password authentication failed", E),
        ("2026-12-01 14:00:00.123 UTC [42] LOG:  checkpoint complete", I),
        ("2026-12-01 14:00:00.123 UTC [42] WARNING:  there is no transaction", W),
        ("1:M 01 Dec 2026 14:00:00.123 # WARNING overcommit_memory is set to 0", W),
        ("1:M 01 Dec 2026 14:00:00.123 * Ready to accept connections", I),
        ("1:M 01 Dec 2026 14:00:00.123 . debug chatter", D),
        ("[1] 2026/12/01 14:00:00.123456 [INF] Server is ready", I),
        ("[1] 2026/12/01 14:00:00.123456 [ERR] Error on client", E),
        ("[1] 2026/12/01 14:00:00.123456 [WRN] slow consumer", W),
        ("2026-12-01T14:00:00.000Z\terror\tx/y.go:12\texport failed", E),
        ("2026-12-01T14:00:00.000Z\tinfo\tservice@v1/service.go:1\tEverything is ready", I),
        ("ERRO[0003] failed to mount", E),
        ("fatal: cannot connect", E),
        ("Error: connect ECONNREFUSED 127.0.0.1:5432", E),
        ("warning: deprecated flag", W),
        ("[warn] low disk", W),
        ("2026-12-01 14:00:00,123 - raymond.api - ERROR - Timeout", E),
        ("2026-12-01T14:00:00,123+0000 [main] INFO  org.apache.pulsar - started", I),
        ("INFO request finished with ERROR count 0", I),  # the first level word wins
        ("worker booting", None),
        ("GET /api/errors 200", None),
        ("an error occurred", None),  # lower case inside prose is not a level
    ],
)
def test_parse_level(text: str, level: Level | None) -> None:
    assert parse_level(text) == level


def test_level_word_far_into_a_long_line_is_not_read() -> None:
    assert parse_level("x" * 300 + " ERROR") is None


@pytest.mark.parametrize(
    ("text", "cont"),
    [
        ("Traceback (most recent call last):", True),
        ('  File "/app/x.py", line 3, in f', True),
        ("\tat org.example.Main.run(Main.java:12)", True),
        ("Caused by: java.io.IOException: closed", True),
        ("psycopg.errors.QueryCanceled: canceling statement", True),
        ("2026-12-01 14:00:00.1 UTC [7] DETAIL:  Key (id)=(1) already exists.", True),
        ("worker booting", False),
        ("Error: plain", False),
    ],
)
def test_continuation(text: str, cont: bool) -> None:
    assert is_continuation(text) is cont


def test_level_parse_names() -> None:
    assert Level.parse("err") is E and Level.parse("Warning") is W and Level.parse("debug") is D
    with pytest.raises(ValueError):
        Level.parse("loud")
