"""The sanitizer every outside string goes through before display."""

from __future__ import annotations

import pytest

from arctui.text import MAX_LINE, clean, one_line

R = "\ufffd"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mred\x1b[0m plain", "red plain"),
        ("\x1b[1;38;2;255;0;0mbold\x1b[m", "bold"),
        ("\x1b[2J\x1b[Hcleared", "cleared"),
        ("\x1b[?1049hafter", "after"),  # alternate screen
    ],
)
def test_csi_sequences_are_stripped(raw: str, shown: str) -> None:
    assert clean(raw) == shown


def test_osc_title_with_bel_is_stripped() -> None:
    assert clean("before\x1b]0;pwned\x07after") == "beforeafter"


def test_osc52_clipboard_with_st_terminator_is_stripped() -> None:
    assert clean("x\x1b]52;c;cm0gLXJmIH4=\x1b\\y") == "xy"


def test_osc8_hyperlink_is_stripped_but_its_text_kept() -> None:
    raw = "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\"
    assert clean(raw) == "click"


def test_unterminated_osc_swallows_the_rest() -> None:
    assert clean("ok\x1b]0;never ends") == "ok"


def test_dcs_is_stripped() -> None:
    assert clean("a\x1bPq#0;2;0;0;0#0~~@@\x1b\\b") == "ab"


def test_8bit_c1_csi_is_stripped() -> None:
    assert clean("\x9b31mred\x9b0m") == "red"


def test_8bit_c1_osc_with_st_is_stripped() -> None:
    assert clean("a\x9d0;pwned\x9cb") == "ab"


def test_lone_esc_is_removed() -> None:
    assert clean("a\x1bb") == "ab"
    assert clean("end\x1b") == "end"
    assert "\x1b" not in clean("\x1b\x1b\x1b[")


def test_two_byte_escapes_are_removed() -> None:
    # ESC 7 (save cursor) is not in the two-byte class, but the ESC goes anyway.
    assert clean("\x1bMx") == "x"  # reverse index
    assert "\x1b" not in clean("\x1b7x\x1b8")


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1f", "\x7f", "\x85"])
def test_controls_become_visible(char: str) -> None:
    assert clean(f"a{char}b") == f"a{R}b"


def test_tabs_and_newlines_kept_by_clean() -> None:
    assert clean("a\tb\nc") == "a\tb\nc"


def test_one_line_flattens_tabs_and_newlines() -> None:
    assert one_line("a\tb\nc\r\nd") == "a b c d"


def test_carriage_returns_removed() -> None:
    assert clean("line\r\n") == "line\n"
    assert clean("progress 10%\rprogress 99%") == "progress 10%progress 99%"


def test_invalid_utf8_bytes_replaced() -> None:
    assert clean(b"ok \xff\xfe end") == f"ok {R}{R} end"
    assert clean("caf\u00e9".encode()) == "café"


def test_bytes_with_escapes_are_cleaned() -> None:
    assert clean(b"\x1b]0;t\x07hi\x00") == f"hi{R}"


def test_none_is_empty() -> None:
    assert clean(None) == ""
    assert one_line(None) == ""


def test_unicode_text_is_untouched() -> None:
    text = "naïve 日本語 🚀 — ok"
    assert clean(text) == text


def test_length_cap_with_suffix() -> None:
    assert clean("x" * 20, limit=10) == "x" * 10 + "… [10 more chars]"
    assert clean("x" * 10, limit=10) == "x" * 10


def test_default_caps() -> None:
    assert clean("y" * (MAX_LINE + 5)) == "y" * MAX_LINE + "… [5 more chars]"
    assert one_line("z" * 600) == "z" * 512 + "… [88 more chars]"


def test_cap_counts_characters_after_stripping() -> None:
    raw = "\x1b[31m" * 100 + "abc"
    assert clean(raw, limit=3) == "abc"


def test_ten_megabyte_line() -> None:
    big = "A" * 10_000_000
    out = clean(big)
    assert len(out) < MAX_LINE + 40
    assert out.startswith("A" * 100)
    assert out.endswith(f"[{10_000_000 - MAX_LINE} more chars]")


def test_ten_megabytes_of_escapes_and_controls() -> None:
    big = "\x1b[31mA\x00" * 1_500_000
    out = clean(big)
    assert "\x1b" not in out
    assert out.startswith(f"A{R}A{R}")
