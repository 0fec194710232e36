"""arctui.units: the one byte and duration formatter, and one unit system on screen."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from arctui import units
from arctui.cli import main

PACKAGE = Path(units.__file__).parent
KIB, MIB, GIB = 1024, 1024**2, 1024**3


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "-"),
        (float("nan"), "-"),
        (float("inf"), "-"),
        (0, "0 B"),
        (1, "1 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (MIB - 1, "1024.0 KiB"),  # rounds up, stays in the unit it was scaled to
        (MIB, "1.0 MiB"),
        (190_840_832, "182.0 MiB"),
        (2_500_000, "2.4 MiB"),  # not "2.5 MB": binary, like docker stats
        (GIB, "1.0 GiB"),
        (5 * 1024**4, "5.0 TiB"),
        (3 * 1024**6, "3.0 EiB"),
        (2048 * 1024**6, "2048.0 EiB"),  # beyond the last unit: no index error
        (-1, "-1 B"),
        (-1536, "-1.5 KiB"),
    ],
)
def test_size(value: float | None, text: str) -> None:
    assert units.size(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "-"),
        (0, "0B"),
        (980, "980B"),
        (999, "999B"),
        (1000, "1.0K"),  # 1000B would take 5 characters
        (1023, "1.0K"),
        (1024, "1.0K"),
        (1536, "1.5K"),
        (45 * MIB, "45M"),
        (1.8 * GIB, "1.8G"),
        (-1536, "-1.5K"),
        (1023 * 1024**5, "1023P"),
        (10**30, f"{10**30 / 1024**5:.0f}P"),  # huge: stays in P, never raises
    ],
)
def test_size_compact(value: float | None, text: str) -> None:
    assert units.size_compact(value) == text


def test_compact_and_full_agree() -> None:
    """A table cell and its detail pane show the same figure in the same system."""
    for value in (1536, 45 * MIB, 1.8 * GIB, 3 * 1024**4):
        full, compact = units.size(value), units.size_compact(value)
        assert full.split()[1].removesuffix("iB") == compact[-1]
        assert abs(float(full.split()[0]) - float(compact[:-1])) < 0.51


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "-"),
        (-5, "0s"),
        (0, "0s"),
        (59.9, "59s"),
        (60, "1m"),
        (3599, "59m"),
        (3600, "1h00m"),
        (3661, "1h01m"),
        (86399, "23h59m"),
        (86400, "1d00h"),
        (90000, "1d01h"),
        (40 * 86400 + 23 * 3600, "40d23h"),
        (10**7 * 86400, "10000000d00h"),
    ],
)
def test_duration(seconds: float | None, text: str) -> None:
    assert units.duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "-"),
        (-1, "0.00s"),
        (0.043, "0.04s"),
        (3.21, "3.2s"),
        (45, "45s"),
        (372, "6m12s"),
        (4000, "1h06m"),
        (90000, "1d01h"),
    ],
)
def test_elapsed(seconds: float | None, text: str) -> None:
    assert units.elapsed(seconds) == text


@pytest.mark.parametrize(
    ("us", "text"),
    [(None, "-"), (-3, "0 µs"), (0, "0 µs"), (850, "850 µs"), (48_200, "48.2 ms"),
     (999_999, "1000.0 ms"), (1_200_000, "1.20 s")],
)  # fmt: skip
def test_micros(us: float | None, text: str) -> None:
    assert units.micros(us) == text


def test_units_is_the_lowest_layer() -> None:
    tree = ast.parse((PACKAGE / "units.py").read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] + [
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    ]
    assert not [m for m in imported if m.split(".")[0] == "arctui"]


def test_no_formatter_copies_left() -> None:
    """Byte and duration text is made in units.py only: no module divides by 1e6 for MB,
    spells a decimal unit, or defines its own human_*/bytes_h/age formatter."""
    decimal = re.compile(r"""f["'][^"']*\{[^}]*\}\s?(KB|MB|GB|TB)\b""")
    copies = re.compile(r"^def (human_\w+|bytes_h|_mb|_mib|age|human)\(", re.M)
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "units.py":
            continue
        text = path.read_text()
        found += [f"{path.name}: {m.group(0)}" for m in decimal.finditer(text)]
        found += [f"{path.name}: {m.group(0)}" for m in copies.finditer(text)]
    assert found == []


DECIMAL_ON_SCREEN = re.compile(r"\d (KB|MB|GB|TB)\b")


@pytest.mark.parametrize(
    "argv",
    [["redis"], ["redis", "bigkeys"], ["backup", "list"], ["postgres"], ["doctor"]],
)
def test_headless_printers_speak_iec(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    main(["--demo", *argv])
    out = capsys.readouterr().out
    assert out.strip()
    assert not DECIMAL_ON_SCREEN.findall(out), out
