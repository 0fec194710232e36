"""An exec's attach stream split into stdout/stderr frames (sources/engine.demux)."""

from __future__ import annotations

import struct

from arctui.sources.engine import demux


def frame(kind: int, data: bytes) -> bytes:
    return struct.pack(">BxxxL", kind, len(data)) + data


def test_frames_keep_their_stream_and_order() -> None:
    raw = frame(1, b"out-1\n") + frame(2, b"err\n") + frame(1, b"out-2\n")
    assert demux(raw) == [("stdout", b"out-1\n"), ("stderr", b"err\n"), ("stdout", b"out-2\n")]


def test_plain_text_after_the_frames_is_kept_as_stdout() -> None:
    # A failed start: the engine writes its error as plain text, not as a frame.
    raw = frame(1, b"a") + b"OCI runtime exec failed: no such file\r\n"
    assert demux(raw) == [
        ("stdout", b"a"),
        ("stdout", b"OCI runtime exec failed: no such file\r\n"),
    ]


def test_output_is_cut_at_the_limit() -> None:
    raw = frame(1, b"x" * 10) + frame(2, b"y" * 10)
    frames = demux(raw, limit=15)
    assert b"".join(d for _, d in frames) == b"x" * 10 + b"y" * 5
