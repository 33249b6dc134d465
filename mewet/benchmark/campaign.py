"""Campaigns: one scenario run for many seeds, on all cores (or on a Dask cluster).

Each seed is an ordinary run in its own folder (`<out>/<scenario>-<seed>/`, the files `mewet
run` writes) with its home named by both (`<scenario>-<seed>`), so that detections naming
a home name one run and `mewet score` can take the whole campaign folder at once.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from mewet.errors import ConfigError

MAX_SEEDS = 100_000
_SEEDS_RE = re.compile(r"^\d+(-\d+)?$")


def parse_seeds(text: str) -> list[int]:
    """Seeds from `1-100`, `3,7,9` or both mixed (`1-10,20`), in order, each once."""
    seeds: list[int] = []
    for part in text.replace(" ", "").split(","):
        if not _SEEDS_RE.fullmatch(part):
            raise ConfigError(f"--seeds {text!r}: use a range and/or a list, e.g. 1-100 or 1,5,9")
        first, _, last = part.partition("-")
        low, high = int(first), int(last or first)
        if high < low:
            raise ConfigError(f"--seeds {part}: the range goes down; write it {high}-{low}")
        if high - low + 1 + len(seeds) > MAX_SEEDS:
            raise ConfigError(f"--seeds {text!r}: at most {MAX_SEEDS} seeds in one campaign")
        seeds.extend(range(low, high + 1))
    return sorted(set(seeds))


def run_seed(
    scenario: str, seed: int, days: float | None, out: Path, parquet: bool = False
) -> dict[str, Any]:
    """One seed of a campaign, in a worker: run, write its folder, return its summary."""
    from mewet.scenarios.run import run_to_folder
    from mewet.scenarios.scenario import load_scenario

    s = load_scenario(scenario)
    home = f"{s.id}-{seed}"
    summary = run_to_folder(out / home, s, seed, days, home_id=home, parquet=parquet)
    return {key: summary[key] for key in ("scenario", "seed", "home", "days", "messages")} | {
        "falls": summary["activities"].get("fall", 0)
    }


def run_campaign(
    scenario: str,
    seeds: Sequence[int],
    days: float | None,
    out: Path,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
    parquet: bool = False,
) -> dict[str, Any]:
    """Run every seed, `jobs` at a time on this machine (default: all cores) or on the Dask
    cluster at `scheduler`; write the summary to `campaign-<scenario>-<seeds>.json` (its
    own file, so campaigns that share a folder keep each theirs) and return it."""
    from mewet.scenarios.scenario import load_scenario

    s = load_scenario(scenario)  # a bad scenario fails here, once, not in every worker
    ref = scenario if not Path(scenario).is_file() else str(Path(scenario).resolve())
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    runs: list[dict[str, Any]] = []
    if scheduler is not None:
        runs = _on_dask(scheduler, ref, seeds, days, out, progress, parquet)
        workers = "dask"
    else:
        workers = str(jobs or os.cpu_count() or 1)
        with ProcessPoolExecutor(max_workers=int(workers)) as pool:
            futures = [pool.submit(run_seed, ref, seed, days, out, parquet) for seed in seeds]
            for future in as_completed(futures):
                runs.append(future.result())
                if progress is not None:
                    progress(runs[-1])
    elapsed = time.perf_counter() - began
    runs.sort(key=lambda r: int(r["seed"]))
    resident_days = sum(float(r["days"]) for r in runs)
    result = {
        "scenario": s.id,
        "seeds": len(runs),
        "workers": workers,
        "elapsed_s": round(elapsed, 2),
        "resident_years": round(resident_days / 365, 3),
        "resident_years_per_min": round(resident_days / 365 / elapsed * 60, 2),
        "messages": sum(int(r["messages"]) for r in runs),
        "falls": sum(int(r["falls"]) for r in runs),
        "runs": runs,
    }
    name = result["file"] = campaign_file(s.id, seeds)
    (out / name).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def campaign_file(scenario: str, seeds: Sequence[int]) -> str:
    """The summary's file name: `campaign-night-fall-1-100.json` (seeds 1 to 100), or with
    the seeds listed when they do not run in a row (`campaign-night-fall-1_5_9.json`)."""
    ordered = sorted(seeds)
    if ordered == list(range(ordered[0], ordered[-1] + 1)):
        span = f"{ordered[0]}-{ordered[-1]}" if len(ordered) > 1 else str(ordered[0])
    else:
        span = "_".join(map(str, ordered))[:80]
    return f"campaign-{scenario}-{span}.json"


def _on_dask(
    scheduler: str,
    scenario: str,
    seeds: Sequence[int],
    days: float | None,
    out: Path,
    progress: Callable[[dict[str, Any]], None] | None,
    parquet: bool,
) -> list[dict[str, Any]]:
    """The seeds as tasks on a Dask cluster whose workers share `out` (one machine, or a
    shared file system)."""
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise ConfigError(
            "--scheduler needs Dask: pip install 'mewet[dask]' (or distributed)"
        ) from None
    try:
        client = Client(scheduler, timeout=5)  # type: ignore[no-untyped-call]
    except OSError as exc:
        raise ConfigError(
            f"--scheduler {scheduler}: no Dask scheduler answers there ({exc})"
        ) from None
    runs = []
    with client:
        futures = client.map(
            run_seed,
            [scenario] * len(seeds),
            seeds,
            [days] * len(seeds),
            [out] * len(seeds),
            [parquet] * len(seeds),
            pure=False,
        )
        for future in dask_completed(futures):  # type: ignore[no-untyped-call]
            runs.append(future.result())
            if progress is not None:
                progress(runs[-1])
    return runs
