"""The whole monthly job at growing sizes: wall time, time per customer and peak memory.

The job is what ``gridaudit score`` runs (``scoring.score_warehouse``): features as of the month
before, built bucket by bucket on the chosen engine; score everyone; select within capacity;
explain the listed; read the listed customers' (and a bounded sample of their peers') rows for
the expected recovery and the curves; write list.parquet/csv/xlsx, curves, contributions,
run.json and report.html. Only the champion comes from a model folder instead of MLflow.

Each size and engine runs in a fresh subprocess, so its peak resident memory (``ru_maxrss``) is
its own (``peak MB``, the job's process); ``worker MB`` is the largest pool or Dask worker and
``all MB`` the job and its workers together, both sampled every 0.2 s. Engines: ``local``,
``processes``, ``dask`` (a local cluster of ``--workers``) and, for comparison, ``memory``:
every table read whole and ``score_month``.

Usage:
    python benchmarks/bench_monthly_job.py                          # 20k and 100k customers, local
    python benchmarks/bench_monthly_job.py --sizes 100000,300000,1000000 --engines local,processes
        # the issue's sizes; data are generated once (chunked, never whole) under
        # /tmp/gridaudit_bench. Memory follows the bucket (customers / --buckets), so give
        # 1M customers more buckets (--buckets 160 keeps a bucket near 6k customers, as 100k x 16).
Each size is 12 months of daily readings (``--months``); data and the model are cached.
Growth ratios compare every size with the first, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synthetic import CACHE, synthetic_warehouse, warehouse_rows  # noqa: E402

MONTH = "2026-01"  # the list's month; data as of 2025-12, the last month generated
MODEL_CUSTOMERS = 5000
MODEL_INFO = {"name": "customer_risk", "version": "bench", "run_id": None, "alias": "champion"}


class TreeMemory:
    """Samples the resident memory of this process's descendants (pool or Dask workers, which
    ``ru_maxrss`` does not see: a forkserver's or nanny's children are not ours) every 0.2 s."""

    def __init__(self) -> None:
        import threading

        self.largest_mb = 0.0  # the largest single worker
        self.total_mb = 0.0  # this process and all workers together
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.wait(0.2):
            sizes = []
            for child in me.children(recursive=True):
                try:
                    sizes.append(child.memory_info().rss / 2**20)
                except psutil.Error:
                    continue
            self.largest_mb = max(self.largest_mb, max(sizes, default=0.0))
            self.total_mb = max(self.total_mb, me.memory_info().rss / 2**20 + sum(sizes))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_job(warehouse: str, engine: str, model_folder: str, capacity: int, workers: int | None) -> dict:
    """The job itself (in the subprocess), through ``score_warehouse`` as the CLI calls it."""
    from gridaudit import engine as engine_module
    from gridaudit.config import Config
    from gridaudit.model import RiskModel
    from gridaudit.scoring import score_month, score_warehouse

    model = RiskModel.load(model_folder)
    config = Config(capacity=capacity, workers=workers, engine="local" if engine == "memory" else engine)
    times: dict[str, float] = {}
    build = engine_module.build_features_bucketed

    def timed_build(*args, **kwargs):  # the job's own call, timed (score_warehouse imports it late)
        mark = time.perf_counter()
        frame = build(*args, **kwargs)
        times["features_s"] = time.perf_counter() - mark
        return frame

    engine_module.build_features_bucketed = timed_build
    tree = TreeMemory()
    with tempfile.TemporaryDirectory(prefix="bench_lists_") as out:
        started = time.perf_counter()
        if engine == "memory":
            from gridaudit.io import read_tables

            result = score_month(read_tables(warehouse), MONTH, model, MODEL_INFO, config, out_dir=out)
        else:
            result = score_warehouse(warehouse, MONTH, model, MODEL_INFO, config, out_dir=out)
        times["total_s"] = time.perf_counter() - started
        sizes = {p.name: p.stat().st_size for p in result.folder.iterdir()}
    tree.stop()
    times.setdefault("features_s", float("nan"))
    times["rest_s"] = times["total_s"] - times["features_s"]
    return {
        "customers": result.run["counts"]["customers_scored"],
        "listed": result.run["counts"]["listed"],
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # Linux: kilobytes
        "workers_mb": tree.largest_mb,
        "all_mb": max(tree.total_mb, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "report_kb": sizes.get("report.html", 0) / 1024,
        **times,
    }


def model_folder() -> Path:
    """The cached model, retrained when missing or saved by another gridaudit version."""
    import shutil

    from gridaudit.model import ModelIntegrityError, RiskModel

    folder = CACHE / f"model_{MODEL_CUSTOMERS}_200"
    try:
        RiskModel.load(folder)
    except (FileNotFoundError, ModelIntegrityError):
        from bench_scoring import trained_model

        shutil.rmtree(folder, ignore_errors=True)
        trained_model(MODEL_CUSTOMERS)
    return folder


def bucket_customers(warehouse: Path) -> int:
    """Customers in the largest bucket: what one task holds at most."""
    import pyarrow.parquet as pq

    folders = [p for p in (warehouse / "customers").iterdir() if p.name.startswith("bucket=")]
    return max(sum(pq.read_metadata(f).num_rows for f in d.glob("*.parquet")) for d in folders)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="20000,100000", help="customer counts, comma-separated")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--buckets", type=int, default=16, help="customer buckets of the warehouse")
    parser.add_argument("--engines", default="local", help="local, processes, dask and/or memory")
    parser.add_argument("--workers", type=int, default=None, help="processes / local Dask workers")
    parser.add_argument("--capacity", type=int, default=100, help="customers listed")
    parser.add_argument("--job", nargs=2, metavar=("WAREHOUSE", "ENGINE"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.job:  # inside the subprocess
        result = run_job(args.job[0], args.job[1], str(model_folder()), args.capacity, args.workers)
        print(json.dumps(result))
        return

    folder = model_folder()
    print(f"model: {folder}; job = gridaudit score for {MONTH}: features + score + list of "
          f"{args.capacity} + curves + report + Excel; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    header = (
        f"{'customers':>10} {'engine':>9} {'readings':>12} {'bucket':>7} {'features s':>10} {'rest s':>7} "
        f"{'total s':>8} {'us/customer':>11} {'peak MB':>8} {'worker MB':>9} {'all MB':>7}"
    )
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        started = time.perf_counter()
        warehouse = synthetic_warehouse(size, months=args.months, n_buckets=args.buckets)
        print(
            f"data {size}: {warehouse} ({time.perf_counter() - started:.0f} s to prepare or find)", flush=True
        )
        for engine in args.engines.split(","):
            command = [
                sys.executable,
                __file__,
                "--job",
                str(warehouse),
                engine,
                "--capacity",
                str(args.capacity),
            ]
            if args.workers:
                command += ["--workers", str(args.workers)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"{size} {engine}: failed\n{done.stderr[-2000:]}")
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            result.update(engine=engine, readings=warehouse_rows(warehouse)["readings"],
                          bucket=bucket_customers(warehouse))  # fmt: skip
            results.append(result)
            if len(results) == 1:
                print(header)
            print(
                f"{result['customers']:>10,} {engine:>9} {result['readings']:>12,} {result['bucket']:>7,} "
                f"{result['features_s']:>10.1f} {result['rest_s']:>7.1f} {result['total_s']:>8.1f} "
                f"{1e6 * result['total_s'] / result['customers']:>11,.0f} {result['peak_mb']:>8,.0f} "
                f"{result['workers_mb']:>9,.0f} {result['all_mb']:>7,.0f}  (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
    for engine in args.engines.split(","):
        runs = [r for r in results if r["engine"] == engine]
        first = runs[0] if runs else None
        for run in runs[1:]:
            grow = run["customers"] / first["customers"]
            print(
                f"{engine}: customers x{grow:.1f} -> time x{run['total_s'] / first['total_s']:.2f} "
                f"(per customer x{run['total_s'] / first['total_s'] / grow:.2f}), peak memory "
                f"x{run['peak_mb'] / first['peak_mb']:.2f}, bucket x{run['bucket'] / first['bucket']:.1f}"
            )


if __name__ == "__main__":
    main()
