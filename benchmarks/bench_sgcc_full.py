"""Wall time and peak memory of the full SGCC run -- convert, ingest, features, train, evaluate.

The full State Grid release (42,372 customers x 1,035 days) is not stored here, only the reduced
one (26 days). Without ``--csv`` this benchmark writes a SYNTHETIC file in the full release's
exact layout and size: one column per day from 2014-01-01 headed m/d/yyyy (padded or not at
random, in the string order a spreadsheet export gives), then CONS_NO (32 hex characters) and
FLAG; ~8.5% thieves whose curve drops, goes to zero, turns noisy or switches on and off from a
random day; all-zero rows; missing days; ~3,000 rows repeating another row's values and label
under another CONS_NO and a few repeating a whole row. Its timings are those of the real
file's shape; its detection figures say nothing about real theft. With ``--csv PATH`` (the real
``data.csv``) the same stages run on the real release.

Every stage is the product's CLI in a subprocess, as an analyst runs it, in a fresh folder:

    gridaudit convert sgcc --data FILE --out raw/
    gridaudit ingest raw/ --warehouse wh/
    gridaudit features --warehouse wh/ --as-of <last month> --out features.parquet
    gridaudit train --warehouse wh/          (builds its own examples: features again, then LightGBM)
    gridaudit evaluate --warehouse wh/       (champion on the same warehouse: in-sample, for timing)

Wall time and peak RSS are per process (``os.wait4``). Baseline in the same run: a plain
``pandas.read_csv`` of the file, so each stage also reads as a multiple of just loading it.

Usage:  python benchmarks/bench_sgcc_full.py [--csv data.csv] [--customers 42372 --days 1035]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

CACHE = Path("/tmp/gridaudit_bench")
GRIDAUDIT = Path(sys.executable).with_name("gridaudit")
FULL_CUSTOMERS = 42_372
FULL_DAYS = 1_035
FIRST_DAY = pd.Timestamp("2014-01-01")
THEFT_SHARE = 0.0853  # 3,615 of 42,372 in the real release
EMPTY_SHARE = 0.04  # rows with no consumption at all
COPIED_ROWS = 3_000  # rows repeating another row's values and label under another CONS_NO
REPEATED_IDS = 20  # whole rows exported twice (same CONS_NO)
MISSING_SHARE = 0.03  # days not collected, in short runs


# ----------------------------------------------------------------------------- synthetic file
def _headers(rng: np.random.Generator, days: pd.DatetimeIndex) -> list[str]:
    """m/d/yyyy, month and day each zero-padded or not at random (both occur in the release)."""
    pad_month = rng.random(len(days)) < 0.5
    pad_day = rng.random(len(days)) < 0.5
    month = [f"{d.month:02d}" if pad else str(d.month) for d, pad in zip(days, pad_month, strict=True)]
    day = [f"{d.day:02d}" if pad else str(d.day) for d, pad in zip(days, pad_day, strict=True)]
    return [f"{m}/{d}/{date.year}" for m, d, date in zip(month, day, days, strict=True)]


def _curves(
    rng: np.random.Generator, n: int, n_days: int, days: pd.DatetimeIndex
) -> tuple[np.ndarray, np.ndarray]:
    """Daily kWh (n x n_days, NaN = not collected) and the theft flag."""
    level = rng.lognormal(np.log(7.0), 0.8, n)[:, None]  # kWh per day, household-like
    doy = days.day_of_year.to_numpy()[None, :]
    seasonal = 1 + rng.uniform(0.1, 0.5, n)[:, None] * np.cos(2 * np.pi * (doy - 200) / 365.25) ** 2
    weekly = 1 + 0.08 * (days.day_of_week.to_numpy()[None, :] >= 5)
    kwh = (level * seasonal * weekly).astype(np.float32)
    kwh *= rng.lognormal(0, 0.25, (n, n_days)).astype(np.float32)

    theft = rng.random(n) < THEFT_SHARE
    thieves = np.flatnonzero(theft)
    # theft starts from ~2014-03 on in the full file, never in the last month
    start = rng.integers(n_days // 15, n_days - n_days // 30, len(thieves))
    after = np.arange(n_days)[None, :] >= start[:, None]
    kind = rng.integers(0, 4, len(thieves))
    factor = np.ones((len(thieves), n_days), dtype=np.float32)
    drop = rng.uniform(0.15, 0.6, len(thieves))[:, None].astype(np.float32)
    factor = np.where(after & (kind == 0)[:, None], drop, factor)  # a lasting drop
    factor = np.where(after & (kind == 1)[:, None], 0.0, factor)  # zero from a day on
    noisy = rng.uniform(0.05, 0.9, (len(thieves), n_days)).astype(np.float32)
    factor = np.where(after & (kind == 2)[:, None], noisy, factor)  # a random share each day
    on_off = (np.arange(n_days)[None, :] // rng.integers(3, 15, len(thieves))[:, None]) % 2 == 0
    factor = np.where(after & (kind == 3)[:, None] & on_off, 0.05, factor)  # bypass switched on and off
    kwh[thieves] *= factor

    empty = rng.random(n) < EMPTY_SHARE
    kwh[empty] = 0.0
    gaps = rng.random((n, n_days)) < MISSING_SHARE / 4
    for shift in range(1, 4):  # short runs of missing days
        gaps[:, shift:] |= gaps[:, :-shift] & (rng.random((n, n_days - shift)) < 0.6)
    late = rng.random(n) < 0.05  # connected during the period: missing before
    first = np.where(late, rng.integers(n_days // 30, n_days - n_days // 15, n), 0)
    gaps |= np.arange(n_days)[None, :] < first[:, None]
    kwh = np.round(kwh.astype(np.float64), 2)
    kwh[gaps] = np.nan
    return kwh, theft


def write_synthetic_sgcc(path: Path, customers: int, n_days: int, seed: int = 7) -> dict:
    """The synthetic release at ``path`` (via a temporary file); returns what was planted."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(FIRST_DAY, periods=n_days, freq="D")
    unique = customers - COPIED_ROWS - REPEATED_IDS
    kwh, theft = _curves(rng, unique, n_days, days)
    ids = np.array([rng.bytes(16).hex().upper() for _ in range(customers - REPEATED_IDS)], dtype=object)
    copied_from = rng.integers(0, unique, COPIED_ROWS)
    order = np.concatenate([np.arange(unique), copied_from])
    repeated = rng.integers(0, len(order), REPEATED_IDS)
    rows = np.concatenate([order, order[repeated]])
    row_ids = np.concatenate([ids, ids[repeated]])
    shuffle = rng.permutation(len(rows))
    rows, row_ids = rows[shuffle], row_ids[shuffle]

    headers = _headers(rng, days)
    columns = sorted(range(n_days), key=lambda j: headers[j])  # string order, as the release has it
    arrays = [pa.array(kwh[rows, j], from_pandas=True) for j in columns]
    arrays += [pa.array(row_ids.astype(str)), pa.array(theft[rows].astype(np.int64))]
    table = pa.table(arrays, names=[headers[j] for j in columns] + ["CONS_NO", "FLAG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:  # Arrow quotes header names; the release does not
        fh.write((",".join(table.column_names) + "\n").encode("ascii"))
        pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    os.replace(tmp, path)
    return {
        "rows": len(rows),
        "days": n_days,
        "theft_rows": int(theft[rows].sum()),
        "empty_customers": int((np.nan_to_num(kwh) == 0).all(axis=1).sum()),
        "copied_rows": COPIED_ROWS,
        "repeated_ids": REPEATED_IDS,
        "missing_share": float(np.isnan(kwh).mean()),
    }


# ----------------------------------------------------------------------------- stages
def run_stage(name: str, command: list[str], cwd: Path, log: Path) -> dict:
    """Run one stage; wall seconds and the process's own peak RSS (``wait4``, not the children's max)."""
    started = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    result = {
        "stage": name,
        "seconds": seconds,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "rc": process.returncode,
    }
    print(
        f"  {name:<10} {seconds:>8.1f} s   peak RSS {result['peak_rss_mb']:>8,.0f} MB   "
        f"exit {process.returncode}   (log {log}; {_load()})",
        flush=True,
    )
    if process.returncode != 0:
        print(log.read_text(encoding="utf-8")[-3000:])
    return result


def _load() -> str:
    return "load " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def last_month(csv: Path) -> str:
    """The month of the file's last day, from its header line only."""
    with open(csv, encoding="utf-8-sig") as fh:
        header = fh.readline().strip().split(",")
    dates = pd.to_datetime(pd.Series([h for h in header if h not in ("CONS_NO", "FLAG")]), format="%m/%d/%Y")
    return str(dates.max().to_period("M"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", type=Path, help="the real release's data.csv; default: a synthetic one")
    parser.add_argument("--customers", type=int, default=FULL_CUSTOMERS)
    parser.add_argument("--days", type=int, default=FULL_DAYS)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=CACHE / "sgcc_full_run", help="fresh folder for the run")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()

    if args.csv:
        csv, planted = args.csv, None
        print(f"DATA: {csv} as given (--csv).")
    else:
        csv = CACHE / f"sgcc_synthetic_{args.customers}x{args.days}_s{args.seed}.csv"
        if not csv.exists():
            started = time.perf_counter()
            planted = write_synthetic_sgcc(csv, args.customers, args.days, args.seed)
            planted["seconds"] = round(time.perf_counter() - started, 1)
            csv.with_suffix(".json").write_text(json.dumps(planted), encoding="utf-8")
        planted = json.loads(csv.with_suffix(".json").read_text(encoding="utf-8"))
        print(
            f"DATA: SYNTHETIC, in the full SGCC release's shape -- {planted['rows']:,} rows x "
            f"{planted['days']:,} days from {FIRST_DAY:%Y-%m-%d}, m/d/yyyy headers, CONS_NO, FLAG; "
            f"{planted['theft_rows']:,} theft rows, {planted['empty_customers']:,} all-zero customers, "
            f"{planted['copied_rows']:,} copied rows, {planted['repeated_ids']} repeated CONS_NO, "
            f"{planted['missing_share']:.1%} days missing. Not the real release: the timings and memory "
            f"are those of its size and layout; detection figures say nothing about real theft."
        )
    print(f"file: {csv} ({csv.stat().st_size / 2**20:,.0f} MB); {_load()}")
    as_of = last_month(csv)
    if args.work.exists():
        shutil.rmtree(args.work)
    args.work.mkdir(parents=True)
    ga = str(GRIDAUDIT)
    baseline_code = f"import pandas as pd; pd.read_csv({str(csv)!r}, dtype={{'CONS_NO': str}})"
    stages = [
        ("read_csv", [sys.executable, "-c", baseline_code]),
        ("convert", [ga, "convert", "sgcc", "--data", str(csv), "--out", "raw"]),
        ("ingest", [ga, "ingest", "raw", "--warehouse", "wh", "--metrics-json", "ingest.json"]),
        ("features", [ga, "features", "--warehouse", "wh", "--as-of", as_of, "--out", "features.parquet"]),
        ("train", [ga, "train", "--warehouse", "wh", "--metrics-json", "train.json"]),
        ("evaluate", [ga, "evaluate", "--warehouse", "wh", "--metrics-json", "evaluate.json"]),
    ]
    print(f"stages (each a fresh process, in {args.work}; features as of {as_of}):")
    results = []
    for name, command in stages:
        result = run_stage(name, command, args.work, args.work / f"{name}.log")
        results.append(result)
        if result["rc"] != 0:
            print(f"stopped: stage {name} failed")
            break
    base = results[0]["seconds"]
    print(f"\n{'stage':<10}{'seconds':>10}{'x read_csv':>12}{'peak RSS MB':>14}")
    for r in results:
        print(f"{r['stage']:<10}{r['seconds']:>10.1f}{r['seconds'] / base:>12.1f}{r['peak_rss_mb']:>14,.0f}")
    product = [r for r in results if r["stage"] != "read_csv"]
    total = sum(r["seconds"] for r in product)
    print(
        f"full run (convert, ingest, features, train, evaluate): {total:.0f} s = {total / 60:.1f} min "
        f"({total / base:.0f}x a plain read_csv); largest peak RSS "
        f"{max(r['peak_rss_mb'] for r in product) / 1024:.2f} GB; {_load()}"
    )
    for name in ("train", "evaluate"):
        path = args.work / f"{name}.json"
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            metrics = data.get("validation") or data.get("metrics") or {}
            print(
                f"{name}: AUC {metrics.get('roc_auc', float('nan')):.3f}, AP "
                f"{metrics.get('average_precision', float('nan')):.3f} "
                f"({'synthetic data: meaningless for real theft' if planted else 'real data'})"
            )
    if args.json:
        args.json.write_text(
            json.dumps({"data": planted or str(csv), "stages": results}, indent=2), encoding="utf-8"
        )
    return 0 if all(r["rc"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
