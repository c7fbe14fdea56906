"""Ingest parses a table's files side by side on any engine and writes the same warehouse (issue 8).

The raw folder mixes what breaks parallel parsing when done naively: parts in GBK with Chinese
headers beside UTF-8 and Excel parts, a duplicate key split across two parts (only checks across
files can see it), a reference to an unknown customer and a row failing a value check. Every
engine must write the same Parquet files, the same quarantine and the same manifest.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from gridaudit.cli import commands  # noqa: F401  (registers the commands)
from gridaudit.cli.app import app
from gridaudit.config import Config
from gridaudit.ingest import ingest
from gridaudit.ingest.parallel import IngestEngineError, file_parser
from gridaudit.io import QUARANTINE_DIR, read_table

CUSTOMERS = (
    "customer_id,tariff_category,area_id,name\n"
    "C0001,residential,TA-1,张三\n"
    "C0002,commercial,TA-1,李四\n"
    "C0003,residential,TA-2,王五\n"
)
PART_GBK = "用户编号,日期,日电量\nC0001,2024-01-01,3.5\nC0002,2024-01-01,-1.0\nC0003,2024-01-01,2.0\n"
PART_UTF8 = "customer_id,date,kwh\nC0001,2024-01-02,4.0\nC0009,2024-01-02,1.0\nC0001,2024-01-01,3.6\n"


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def raw_dir(tmp_path) -> Path:
    raw = tmp_path / "raw"
    (raw / "readings").mkdir(parents=True)
    (raw / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (raw / "readings" / "2024-01a.csv").write_bytes(PART_GBK.encode("gbk"))
    (raw / "readings" / "2024-01b.csv").write_text(PART_UTF8, encoding="utf-8")
    (raw / "readings" / "2024-01c.xlsx").write_bytes(
        _xlsx([["customer_id", "date", "kwh"], ["C0002", "2024-01-02", 6.5], ["C0003", "2024-01-02", None]])
    )
    return raw


def _warehouse_files(warehouse: Path) -> dict[str, bytes]:
    """Every file of a warehouse by relative path; the manifest without the folder's own name."""
    files = {}
    for path in sorted(p for p in warehouse.rglob("*") if p.is_file()):
        name = path.relative_to(warehouse).as_posix()
        data = path.read_bytes()
        if name == "_manifest.json":
            manifest = json.loads(data)
            manifest.pop("warehouse")
            data = json.dumps(manifest, sort_keys=True).encode()
        files[name] = data
    return files


def test_local_run_quarantines_across_files(raw_dir, tmp_path):
    """What every engine must reproduce, worked out by hand: 8 readings read, 3 quarantined."""
    report = ingest(raw_dir, tmp_path / "wh", Config(n_buckets=2), engine="local")
    readings = report.tables["readings"]
    assert (readings.read, readings.accepted, readings.quarantined) == (8, 5, 3)
    quarantine = pd.read_csv(
        tmp_path / "wh" / QUARANTINE_DIR / "readings.csv", dtype=str, encoding="utf-8-sig"
    )
    assert quarantine["source_file"].tolist() == [
        "readings/2024-01a.csv",
        "readings/2024-01b.csv",
        "readings/2024-01b.csv",
    ]
    assert quarantine["source_row"].tolist() == ["3", "3", "4"]  # C0002 -1 kWh; C0009 unknown; C0001 twice
    assert quarantine["reason"].iloc[0] == "negative kwh -1 in readings.kwh"
    assert (
        quarantine["reason"].iloc[2].startswith("duplicate readings key (customer_id=C0001, date=2024-01-01)")
    )
    stored = read_table(tmp_path / "wh", "readings")
    assert stored["customer_id"].tolist() == ["C0001", "C0001", "C0002", "C0003", "C0003"]


@pytest.mark.slow
def test_process_pool_writes_the_same_warehouse(raw_dir, tmp_path):
    config = Config(n_buckets=2)
    ingest(raw_dir, tmp_path / "local", config, engine="local")
    ingest(raw_dir, tmp_path / "pool", config, engine="processes", workers=2)
    local, pool = _warehouse_files(tmp_path / "local"), _warehouse_files(tmp_path / "pool")
    assert "readings/bucket=00/part-0.parquet" in local or "readings/bucket=01/part-0.parquet" in local
    assert pool == local


@pytest.mark.slow
def test_dask_local_cluster_with_two_workers_writes_the_same_warehouse(raw_dir, tmp_path):
    from dask.distributed import LocalCluster

    config = Config(n_buckets=2)
    ingest(raw_dir, tmp_path / "local", config, engine="local")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        ingest(raw_dir, tmp_path / "dask", config, engine="dask", scheduler=cluster.scheduler_address)
    assert _warehouse_files(tmp_path / "dask") == _warehouse_files(tmp_path / "local")


def test_a_file_the_user_must_fix_stops_every_engine_with_the_same_message(raw_dir, tmp_path):
    (raw_dir / "readings" / "2024-01d.csv").write_text("customer_id,date,kwh\n", encoding="utf-8")
    messages = []
    for engine in ("local", "processes"):
        with pytest.raises(Exception) as caught:
            ingest(raw_dir, tmp_path / engine, Config(n_buckets=2), engine=engine, workers=2)
        messages.append((type(caught.value).__name__, str(caught.value)))
        assert not (tmp_path / engine / "readings").exists()  # nothing written
    assert messages[0] == messages[1]
    assert messages[0][0] == "EmptyFileError"


def test_unknown_engine_and_a_scheduler_without_dask_are_refused():
    with pytest.raises(IngestEngineError, match="unknown engine 'spark'; use one of local, processes, dask"):
        with file_parser("spark"):
            pass
    with pytest.raises(IngestEngineError, match="needs the dask engine: add --engine dask"):
        with file_parser("processes", scheduler="tcp://127.0.0.1:8786"):
            pass


def test_ingest_command_takes_the_engine_flags(raw_dir, tmp_path):
    args = ["ingest", str(raw_dir), "--warehouse", str(tmp_path / "wh")]
    result = CliRunner().invoke(app, [*args, "--engine", "processes", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert len(read_table(tmp_path / "wh", "readings")) == 5
    refused = CliRunner().invoke(app, [*args, "--scheduler", "tcp://127.0.0.1:1"])
    assert refused.exit_code != 0
    assert "needs the dask engine" in str(refused.exception)  # the CLI's main prints it, exit 2
