"""One measured result per metric, backend and size; the printed table; bench/results.json."""

from __future__ import annotations

import gc
import json
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from bench.targets import Target, target_for

RESULTS_FILE = Path(__file__).with_name("results.json")
RESULT_KEYS = ("metric", "backend", "size", "value", "unit", "floor", "ratio", "target", "met")


@dataclass
class Result:
    metric: str
    backend: str | None     # "sqlite", "postgresql", or None for work that reads no database
    size: int | None        # demo patients in the caseload (None: no caseload involved)
    value: float | None     # None: not measured (see note)
    unit: str
    floor: float | None
    ratio: float | None
    target: float | None
    met: bool | None        # None: no target here, or not measured
    case: str | None = None
    queries: int | None = None
    max_queries: int | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict:
        data = asdict(self)
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in data.items()}


def result(metric: str, backend: str | None, size: int | None, value: float | None, *,
           case: str | None = None, floor: float | None = None, queries: int | None = None,
           note: str = "", **extra) -> Result:
    """A result checked against its target (`bench.targets`)."""
    t: Target = target_for(metric, case)
    limit = t.limit_at(size)
    ratio = None
    if value is not None and floor:
        ratio = value / floor if t.better == "lower" else floor / value if value else None
    met: bool | None = None
    if value is not None and (limit is not None or t.max_floor_ratio is not None or t.max_queries is not None):
        checks = []
        if limit is not None:
            checks.append(value <= limit if t.better == "lower" else value >= limit)
        if t.max_floor_ratio is not None and ratio is not None:
            checks.append(ratio <= t.max_floor_ratio)
        if t.max_queries is not None and queries is not None:
            checks.append(queries <= t.max_queries)
        met = all(checks)
    return Result(metric=metric, backend=backend, size=size, value=value, unit=t.unit, floor=floor, ratio=ratio,
                  target=limit, met=met, case=case, queries=queries, max_queries=t.max_queries, note=note,
                  extra=extra)


def not_measured(metric: str, backend: str | None, size: int | None, reason: str, *,
                 case: str | None = None) -> Result:
    return result(metric, backend, size, None, case=case, note=f"not measured: {reason}")


class Timing:
    """Seconds and statements of one timed call (statements counted on the bound database)."""

    def __init__(self, seconds: float, queries: int | None, value: Any):
        self.seconds, self.queries, self.value = seconds, queries, value


def timed(fn: Callable[[], Any], *, count_queries: bool = True) -> Timing:
    gc.collect()
    if count_queries:
        from pao_clinic.storage.connection import counting_queries

        with counting_queries() as queries:
            start = time.perf_counter()
            value = fn()
            seconds = time.perf_counter() - start
        return Timing(seconds, queries.count, value)
    start = time.perf_counter()
    value = fn()
    return Timing(time.perf_counter() - start, None, value)


def median_of(fn: Callable[[], Any], repeat: int, *, count_queries: bool = True) -> Timing:
    """The median time of `repeat` calls (queries of the first call; they do not vary)."""
    runs = [timed(fn, count_queries=count_queries) for _ in range(repeat)]
    return Timing(statistics.median(r.seconds for r in runs), runs[0].queries, runs[0].value)


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == "patients/s" or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}" if abs(value) < 1 else f"{value:.2f}"


def table(results: list[Result]) -> str:
    """The printed table: one line per result, misses marked MISSED."""
    headings = ("metric", "backend", "size", "value", "unit", "floor", "ratio", "target", "queries", "met")
    lines = []
    for r in results:
        name = r.metric + (f" ({r.case})" if r.case else "")
        target = "-" if r.target is None else ("≥ " if r.unit == "patients/s" else "≤ ") + _number(r.target, r.unit)
        queries = "-" if r.queries is None else str(r.queries) + (f" (≤ {r.max_queries})" if r.max_queries else "")
        met = {True: "yes", False: "MISSED", None: "-"}[r.met]
        if r.value is None:
            met = "not measured"
        lines.append((name, r.backend or "-", "-" if r.size is None else f"{r.size:,}", _number(r.value, r.unit),
                      r.unit, _number(r.floor, r.unit), "-" if r.ratio is None else f"{r.ratio:.1f}×",
                      target, queries, met))
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(headings)]
    right = {2, 3, 5, 6, 7}

    def row(cells) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    out = [row(headings), row(["-" * w for w in widths])] + [row(line) for line in lines]
    notes = [f"  {r.metric}{f' ({r.case})' if r.case else ''}, {r.backend or 'no database'}"
             f"{f', {r.size:,}' if r.size else ''}: {r.note}" for r in results if r.note]
    if notes:
        out += ["", "notes:"] + notes
    return "\n".join(out)


def write_results(results: list[Result], path: Path = RESULTS_FILE) -> None:
    path.write_text(json.dumps([r.as_json() for r in results], indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
