"""`bucket_quantile` follows Prometheus' histogram_quantile (the live test compares it with
Prometheus' own answers; these are the edges worked out by hand)."""

from __future__ import annotations

import math

import pytest

from arctui.tabs.metrics.quantile import bucket_quantile, bucket_quantiles, parse_le

INF = math.inf


def test_linear_inside_the_bucket_holding_the_rank() -> None:
    buckets = [(1.0, 0.0), (2.0, 10.0), (INF, 10.0)]
    assert bucket_quantile(0.5, buckets) == 1.5
    assert bucket_quantile(0.9, [(0.1, 50.0), (0.5, 90.0), (INF, 100.0)]) == 0.5
    # the first bucket starts at 0
    assert math.isclose(bucket_quantile(0.25, [(4.0, 10.0), (INF, 10.0)]), 1.0)


def test_rank_in_the_inf_bucket_is_the_highest_finite_bound() -> None:
    assert bucket_quantile(0.99, [(1.0, 10.0), (10.0, 50.0), (INF, 100.0)]) == 10.0


def test_undefined_cases() -> None:
    assert math.isnan(bucket_quantile(0.5, [(1.0, 0.0), (INF, 0.0)]))  # no observations
    assert math.isnan(bucket_quantile(0.5, [(1.0, 3.0), (2.0, 5.0)]))  # no +Inf bucket
    assert math.isnan(bucket_quantile(0.5, [(INF, 5.0)]))  # one bucket
    assert bucket_quantile(1.5, [(1.0, 1.0), (INF, 1.0)]) == INF
    assert bucket_quantile(-0.1, [(1.0, 1.0), (INF, 1.0)]) == -INF


def test_unsorted_duplicate_and_non_monotonic_buckets() -> None:
    # order does not matter; equal bounds add up; a dip (a reset) is evened out upwards
    same = bucket_quantile(0.5, [(INF, 10.0), (2.0, 6.0), (1.0, 2.0), (2.0, 4.0)])
    assert math.isclose(same, 1.0 + (5.0 - 2.0) / (10.0 - 2.0))
    dip = bucket_quantile(0.5, [(1.0, 6.0), (2.0, 4.0), (INF, 10.0)])
    assert math.isclose(dip, 1.0 * 5.0 / 6.0)
    assert parse_le("+Inf") == INF and parse_le("0.25") == 0.25 and parse_le("x") is None


def test_several_quantiles_from_one_histogram() -> None:
    # Worked by hand: counts 5, 9.5, 10, 10 over the bounds 10, 100, 1000, +Inf.
    buckets = [(1000.0, 10.0), (10.0, 5.0), (INF, 10.0), (100.0, 9.5)]  # any order
    got = bucket_quantiles((0.5, 0.95, 0.99, 0.0, 1.0, -1.0, 2.0, math.nan), buckets)
    assert got[:5] == pytest.approx([10.0, 100.0, 820.0, 0.0, 1000.0])
    assert got[5:7] == [-INF, INF] and math.isnan(got[7])
    assert all(math.isnan(v) for v in bucket_quantiles((0.5, 0.99), [(10.0, 0.0), (INF, 0.0)]))
    assert bucket_quantiles((), buckets) == []
    assert parse_le("+Inf") == INF and parse_le("2.5") == 2.5
    assert parse_le("x") is None and parse_le("x") is None  # the second from the cache
