"""A full read inspects the listed containers several at a time, errors kept."""

from __future__ import annotations

import threading

import pytest

from arctui.sources.base import SourceError
from arctui.sources.docker_engine import INSPECT_THREADS, inspect_many
from arctui.sources.engine_http import EngineNotFound


class Api:
    def __init__(self, meet: threading.Barrier | None = None) -> None:
        self.meet = meet
        self.gone: set[str] = set()
        self.broken: set[str] = set()

    def inspect_container(self, cid: str) -> dict[str, str]:
        if self.meet is not None:
            self.meet.wait(10)  # breaks (BrokenBarrierError) unless all ask at once
        if cid in self.gone:
            raise EngineNotFound(404, "no such container")
        if cid in self.broken:
            raise SourceError("the engine did not answer in time")
        return {"Id": cid}


def test_the_inspects_run_at_the_same_time() -> None:
    ids = [f"c{i}" for i in range(INSPECT_THREADS)]
    api = Api(threading.Barrier(INSPECT_THREADS))
    assert inspect_many(api, ids) == {cid: {"Id": cid} for cid in ids}


def test_a_container_gone_since_the_list_is_none_and_an_error_is_raised() -> None:
    api = Api()
    api.gone = {"c2"}
    ids = [f"c{i}" for i in range(20)]
    found = inspect_many(api, ids)
    assert found["c2"] is None and len(found) == 20
    api.broken = {"c7"}
    with pytest.raises(SourceError, match="did not answer"):
        inspect_many(api, ids)


def test_one_container_is_inspected_on_the_callers_thread() -> None:
    seen: list[int] = []

    class One(Api):
        def inspect_container(self, cid: str) -> dict[str, str]:
            seen.append(threading.get_ident())
            return super().inspect_container(cid)

    assert inspect_many(One(), ["c1"]) == {"c1": {"Id": "c1"}}
    assert seen == [threading.get_ident()]
