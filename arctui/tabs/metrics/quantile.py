"""Quantiles from one bucket query, as Prometheus' `histogram_quantile` computes them.

The tab asks Prometheus once for every service's bucket rates (`sum by (service_name,
le) (rate(..._bucket[w]))`) and takes P50, P95 and P99 from that answer here, instead of
three `histogram_quantile` queries that each read every bucket sample of the window again
(the bulk of what a refresh cost Prometheus). The arithmetic follows Prometheus'
`bucketQuantile` (promql/quantile.go): buckets sorted by bound, equal bounds merged,
counts made monotonic, linear interpolation inside the bucket that holds the rank, the
highest finite bound when the rank falls in +Inf, NaN without observations. A live test
checks the result against Prometheus' own answer. No Textual.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence


def bucket_quantile(q: float, buckets: Iterable[tuple[float, float]]) -> float:
    """The `q` quantile of cumulative (upper bound, count) buckets; NaN when undefined."""
    return bucket_quantiles((q,), buckets)[0]


def bucket_quantiles(qs: Sequence[float], buckets: Iterable[tuple[float, float]]) -> list[float]:
    """Each quantile of `qs` from one histogram: the buckets are merged, sorted and made
    monotonic once for all of them (P50, P95 and P99 of every service each refresh)."""
    merged: dict[float, float] = {}
    for bound, count in buckets:
        merged[bound] = merged.get(bound, 0.0) + count
    bounds = sorted(merged)
    valid = len(bounds) >= 2 and math.isinf(bounds[-1]) and bounds[-1] > 0
    counts: list[float] = []
    if valid:
        for b in bounds:  # a counter reset between the buckets' scrapes: keep them monotonic
            counts.append(max(merged[b], counts[-1]) if counts else merged[b])
    return [_quantile(q, bounds, counts) for q in qs]


def _quantile(q: float, bounds: list[float], counts: list[float]) -> float:
    if math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    if not counts:
        return math.nan
    observations = counts[-1]
    if observations == 0 or math.isnan(observations):
        return math.nan
    rank = q * observations
    i = bisect.bisect_left(counts, rank, 0, len(counts) - 1)  # the first count >= rank
    if i == len(counts) - 1:
        return bounds[-2]
    if i == 0 and bounds[0] <= 0:
        return bounds[0]
    start, end, count = 0.0, bounds[i], counts[i]
    if i > 0:
        start = bounds[i - 1]
        count -= counts[i - 1]
        rank -= counts[i - 1]
    return start + (end - start) * (rank / count)


_LE: dict[str, float | None] = {}  # the few `le` values every refresh repeats


def parse_le(text: str) -> float | None:
    """A bucket's `le` label as a number (None when it is not one)."""
    if text in _LE:
        return _LE[text]
    try:
        value: float | None = float(text)
    except ValueError:
        value = None
    if len(_LE) < 256:  # outside text: keep the cache bounded
        _LE[text] = value
    return value
