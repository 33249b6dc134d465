"""Score a fall detector against the ground truth of runs.

A *run* is a folder written by `mewet run` (or one seed of a campaign): its `truth.jsonl` says
when the resident really fell, its `summary.json` how long the home was watched. A detector's
*detections* are JSON lines `{"home": ..., "ts": ..., "event_type": ...}`. A detection matches
a true fall of the same home when it comes at the onset or within `window_s` after it; the
first match is the fall's delay, a later one for the same fall is a duplicate (counted apart,
not as a false alarm), and a detection that matches no fall is a false alarm.

Proportions (sensitivity, precision) get Wilson score intervals, the false-alarm rate an
exact (Garwood) Poisson interval: both stay honest with the small counts real falls come in.
"""

from __future__ import annotations

import bisect
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from mewet.contract import ID_PATTERN
from mewet.errors import MewetError

DEFAULT_WINDOW_S = 300.0
"""Five minutes: a fall alarm later than that no longer shortens the long lie much, and the
published wearable detectors alarm within seconds to a minute."""
FALL_EVENTS = frozenset({"fall_detected"})
Z95 = 1.959963984540054
MAX_DETECTION_LINE = 4096


class ScoreError(MewetError):
    """A truth folder or a detections file that cannot be scored, said in plain words."""


@dataclass(frozen=True, slots=True)
class Detection:
    """One alarm a detector raised: for which home, when, what."""

    home: str
    ts: datetime
    event_type: str
    claimed: datetime | None = None
    """The detector's own `ts`, when `ts` is when it reached the lab (a live benchmark)."""


@dataclass(slots=True)
class Run:
    """One home watched for a time, with the moments the resident really fell."""

    folder: Path
    scenario: str
    seed: int
    home: str
    hours: float
    falls: list[datetime] = field(default_factory=list)


class _DetectionLine(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    home: str = Field(pattern=f"^{ID_PATTERN}$")
    ts: AwareDatetime
    event_type: str = Field(min_length=1, max_length=64)


# ---------------------------------------------------------------- reading runs and detections


def find_runs(path: Path) -> list[Run]:
    """The runs in `path`: a run folder itself, or a folder of run folders (a campaign)."""
    if not path.is_dir():
        raise ScoreError(f"{path}: no such folder (give the folder `mewet run` wrote)")
    folders = (
        [path]
        if (path / "truth.jsonl").is_file()
        else sorted(p.parent for p in path.glob("*/truth.jsonl"))
    )
    if not folders:
        raise ScoreError(f"{path}: no truth.jsonl in it or in its folders (is it a run folder?)")
    runs = sorted((read_run(folder) for folder in folders), key=lambda r: (r.scenario, r.seed))
    seen: dict[str, Path] = {}
    for run in runs:
        if run.home in seen:
            raise ScoreError(
                f"{seen[run.home]} and {run.folder} are both home {run.home!r}: detections name "
                "the home, so each run needs its own (a campaign names them by scenario and seed)"
            )
        seen[run.home] = run.folder
    return runs


def read_run(folder: Path) -> Run:
    """One run folder: its scenario, home, hours watched and true falls."""
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        scenario, seed, days = summary["scenario"], int(summary["seed"]), float(summary["days"])
        home = summary.get("home") or _first_home(folder / "messages.jsonl")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ScoreError(f"{folder}: its summary.json cannot be read ({exc})") from None
    run = Run(folder, str(scenario), seed, str(home), days * 24)
    with (folder / "truth.jsonl").open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            try:
                t = json.loads(line)
                if t["kind"] == "activity" and t["value"] == "fall" and t["phase"] == "begin":
                    run.falls.append(datetime.fromisoformat(t["ts"]))
            except (ValueError, KeyError, TypeError):
                raise ScoreError(
                    f"{folder}/truth.jsonl line {number}: not a truth record"
                ) from None
    run.falls.sort()
    return run


def _first_home(messages: Path) -> str:
    with messages.open(encoding="utf-8") as f:
        topic = json.loads(f.readline())["topic"]
    return str(topic.split("/")[-4])


def read_detections(path: Path) -> list[Detection]:
    """A detections file: JSON lines; a line that is not one says which and why."""
    try:
        f = path.open(encoding="utf-8")
    except OSError as exc:
        raise ScoreError(f"{path}: cannot be read ({exc.strerror})") from None
    with f:
        return list(parse_detections(f, str(path)))


def parse_detections(lines: Iterable[str], name: str = "detections") -> Iterator[Detection]:
    """Detections from JSON lines (blank lines skipped)."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if len(line) > MAX_DETECTION_LINE:
            raise ScoreError(f"{name} line {number}: longer than {MAX_DETECTION_LINE} characters")
        try:
            d = _DetectionLine.model_validate_json(line)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"]) or "the line"
            raise ScoreError(
                f"{name} line {number}: {where}: {problem['msg']} (each line is "
                '{"home": "...", "ts": "2026-11-23T03:10:00+01:00", "event_type": "fall_detected"})'
            ) from None
        yield Detection(d.home, d.ts, d.event_type)


def lab_detections(runs: Sequence[Run]) -> list[Detection]:
    """What the lab's own devices (wristband, room radar) detected in the runs: the reference."""
    out = []
    for run in runs:
        with (run.folder / "messages.jsonl").open(encoding="utf-8") as f:
            for line in f:
                if '"fall_detected"' not in line:
                    continue
                payload = json.loads(line)["payload"]
                if payload.get("event_type") == "fall_detected":
                    out.append(
                        Detection(run.home, datetime.fromisoformat(payload["ts"]), "fall_detected")
                    )
    return out


# ---------------------------------------------------------------- matching and figures


@dataclass(slots=True)
class Tally:
    """The counts behind the figures, for one scenario or for all."""

    falls: int = 0
    detected: int = 0
    false_alarms: int = 0
    duplicates: int = 0
    hours: float = 0.0
    delays_s: list[float] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        """Fold another tally into this one."""
        self.falls += other.falls
        self.detected += other.detected
        self.false_alarms += other.false_alarms
        self.duplicates += other.duplicates
        self.hours += other.hours
        self.delays_s.extend(other.delays_s)

    def figures(self) -> dict[str, Any]:
        """Sensitivity, precision, F1, false alarms per 100 h and delays, with the counts."""
        alarms = self.detected + self.false_alarms
        sens = self.detected / self.falls if self.falls else None
        prec = self.detected / alarms if alarms else None
        f1 = None
        if sens is not None and prec is not None:  # 0 when none of its alarms was a fall
            f1 = 2 * sens * prec / (sens + prec) if sens + prec else 0.0
        per_100h = 100 * self.false_alarms / self.hours if self.hours else None
        rate_ci = (
            [100 * x / self.hours for x in poisson_ci(self.false_alarms)] if self.hours else None
        )
        delays = sorted(self.delays_s)
        return {
            "falls": self.falls,
            "detected": self.detected,
            "missed": self.falls - self.detected,
            "false_alarms": self.false_alarms,
            "duplicates": self.duplicates,
            "hours": round(self.hours, 3),
            "sensitivity": _round(sens),
            "sensitivity_ci95": _rounds(wilson(self.detected, self.falls)),
            "precision": _round(prec),
            "precision_ci95": _rounds(wilson(self.detected, alarms)),
            "f1": _round(f1),
            "false_alarms_per_100h": _round(per_100h),
            "false_alarms_per_100h_ci95": _rounds(rate_ci),
            "delay_s": {
                "p50": _round(_percentile(delays, 50)),
                "p90": _round(_percentile(delays, 90)),
                "max": _round(delays[-1] if delays else None),
                "all": [round(d, 3) for d in delays],
            },
        }


def match(run: Run, detections: Sequence[Detection], window_s: float = DEFAULT_WINDOW_S) -> Tally:
    """Match one home's detections (any order) to its falls."""
    tally = Tally(falls=len(run.falls), hours=run.hours)
    matched: set[int] = set()
    onsets = run.falls
    for d in sorted(detections, key=lambda d: d.ts):
        # the falls whose window holds this detection: onset <= ts <= onset + window
        last = bisect.bisect_right(onsets, d.ts) - 1
        candidates = []
        for i in range(last, -1, -1):
            if (d.ts - onsets[i]).total_seconds() > window_s:
                break
            candidates.append(i)
        if not candidates:
            tally.false_alarms += 1
            continue
        free = [i for i in reversed(candidates) if i not in matched]
        if free:
            matched.add(free[0])
            tally.detected += 1
            tally.delays_s.append((d.ts - onsets[free[0]]).total_seconds())
        else:
            tally.duplicates += 1
    return tally


def score(
    runs: Sequence[Run],
    detections: Iterable[Detection],
    *,
    window_s: float = DEFAULT_WINDOW_S,
    event_types: frozenset[str] = FALL_EVENTS,
) -> dict[str, Any]:
    """Figures overall and per scenario; detections of other types or of other homes are
    counted apart, not scored."""
    by_home: dict[str, list[Detection]] = defaultdict(list)
    ignored: Counter[str] = Counter()
    homes = {run.home for run in runs}
    for d in detections:
        if d.event_type not in event_types:
            ignored["other_event_types"] += 1
        elif d.home not in homes:
            ignored["unknown_homes"] += 1
        else:
            by_home[d.home].append(d)
    overall = Tally()
    scenarios: dict[str, Tally] = defaultdict(Tally)
    for run in runs:
        tally = match(run, by_home[run.home], window_s)
        overall.add(tally)
        scenarios[run.scenario].add(tally)
    return {
        **overall.figures(),
        "runs": len(runs),
        "by_scenario": {name: scenarios[name].figures() for name in sorted(scenarios)},
        "ignored": {"other_event_types": 0, "unknown_homes": 0, **ignored},
    }


def report(
    runs: Sequence[Run],
    detections: Iterable[Detection],
    *,
    window_s: float = DEFAULT_WINDOW_S,
    event_types: frozenset[str] = FALL_EVENTS,
) -> dict[str, Any]:
    """The detector's figures, with the lab's own fall detectors scored the same way as the
    reference row."""
    return {
        **score(runs, detections, window_s=window_s, event_types=event_types),
        "window_s": window_s,
        "event_types": sorted(event_types),
        "reference": score(runs, lab_detections(runs), window_s=window_s),
    }


# ---------------------------------------------------------------- statistics


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion; None when there is nothing to count."""
    if n == 0:
        return None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def poisson_ci(count: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Garwood) interval of a Poisson count, found by bisection on its distribution."""
    lower = 0.0 if count == 0 else _solve(lambda lam: 1 - _cdf(count - 1, lam), alpha / 2, count)
    upper = _solve(lambda lam: -_cdf(count, lam), -alpha / 2, count)
    return lower, upper


def _cdf(k: int, lam: float) -> float:
    """P(X <= k) for X ~ Poisson(lam), summed in log space."""
    if lam <= 0:
        return 1.0
    log_term = -lam
    total = math.exp(log_term)
    for i in range(1, k + 1):
        log_term += math.log(lam) - math.log(i)
        total += math.exp(log_term)
    return min(1.0, total)


def _solve(f: Any, target: float, count: int) -> float:
    """The lam where the increasing f(lam) reaches target."""
    lo, hi = 0.0, count + 10 * math.sqrt(count + 1) + 10
    for _ in range(100):
        mid = (lo + hi) / 2
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _percentile(sorted_values: Sequence[float], q: float) -> float | None:
    if not sorted_values:
        return None
    rank = (len(sorted_values) - 1) * q / 100
    below = math.floor(rank)
    above = min(below + 1, len(sorted_values) - 1)
    return sorted_values[below] + (sorted_values[above] - sorted_values[below]) * (rank - below)


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _rounds(pair: Iterable[float] | None) -> list[float] | None:
    return None if pair is None else [round(x, 4) for x in pair]


# ---------------------------------------------------------------- the HTML report


def html(result: dict[str, Any], name: str) -> str:
    """The report as one self-contained HTML page, with a bar chart of the delays."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("mewet.benchmark", "templates"),
        autoescape=select_autoescape(["html"]),
    )
    delays: list[float] = result["delay_s"]["all"]
    bins = 12
    bin_s = max(1, math.ceil(max(delays, default=0) / bins)) if delays else 1
    counts = Counter(min(int(d // bin_s), bins - 1) for d in delays)
    tallest = max(counts.values(), default=1)
    width = 30
    bars = [
        {
            "x": 45 + i * (width + 4),
            "w": width,
            "h": round(120 * counts[i] / tallest),
            "count": counts[i],
            "tick": i * bin_s,
            "label": f"{i * bin_s}–{(i + 1) * bin_s} s",
        }
        for i in range(bins)
    ]
    return env.get_template("report.html").render(
        r=result,
        name=name,
        bars=bars if delays else [],
        bin_s=bin_s,
        chart_w=45 + bins * (width + 4) + 10,
        pct=lambda x: "–" if x is None else f"{100 * x:.1f}%",
        num=lambda x: "–" if x is None else f"{x:.4g}",
        ci=lambda pair, pct: (
            ""
            if pair is None
            else (
                f"({100 * pair[0]:.1f}–{100 * pair[1]:.1f}%)"
                if pct
                else f"({pair[0]:.2f}–{pair[1]:.2f})"
            )
        ),
    )
