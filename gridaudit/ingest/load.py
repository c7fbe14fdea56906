"""``ingest``: raw folder -> checked tables in the Parquet warehouse, quarantine and manifest.

Nothing is written until every table has been read and checked, so a file the user must fix
leaves the warehouse as it was. ``append`` adds a later batch: rows whose key is already stored
are quarantined and the stored row is kept (a batch never rewrites history silently).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from pathlib import Path

import pandas as pd

from .. import io as wio
from ..config import Config
from ..contract import TABLES
from ..privacy import mask_frame
from .batch import TableBatch, check_batch, combine
from .errors import IngestError, MissingTableError
from .parallel import file_parser
from .parse import FileNotes, parse_file
from .read import discover
from .report import IngestReport, TableReport

log = logging.getLogger(__name__)

CURVE_TABLES = ("readings", "bills")


def read_raw_table(path: str | Path, table_name: str) -> tuple[pd.DataFrame, pd.DataFrame, FileNotes]:
    """One file of ``table_name``: accepted rows (canonical columns and types), the quarantine
    (original values, ``reason``, ``source_file``, ``source_row``) and notes on what was done.

    Checks that need other tables (references) are not applied here.
    """
    if table_name not in TABLES:
        raise IngestError(
            f"{Path(path).name}: '{table_name}' is not a table gridaudit knows (known: {', '.join(TABLES)})"
        )
    batch = combine([parse_file(path, table_name)])
    accepted, quarantine, _ = check_batch(batch)
    return accepted, quarantine, batch.notes[0]


def _select(found: dict[str, list[Path]], tables: list[str] | None) -> list[str]:
    if tables is None:
        return [name for name in TABLES if name in found]
    unknown = [t for t in tables if t not in TABLES]
    if unknown:
        raise IngestError(f"'{unknown[0]}' is not a table gridaudit knows (known: {', '.join(TABLES)})")
    missing = [t for t in tables if t not in found]
    if missing:
        raise MissingTableError(
            f"the raw folder has no file for table {missing[0]} "
            f"(expected {missing[0]}.csv, .xlsx, .parquet or a {missing[0]}/ folder)"
        )
    return [name for name in TABLES if name in tables]


def _require(raw_dir: Path, selected: list[str], warehouse: Path, partial: bool) -> list[str]:
    """Refuse a batch without customers (or without any consumption); note what is optional."""
    notes = []
    if "customers" not in selected and not (partial and wio.has_table(warehouse, "customers")):
        raise MissingTableError(
            f"the raw folder {raw_dir} has no customers table (customers.csv, customers.xlsx, "
            f"customers.parquet or a customers/ folder); every other table refers to it"
        )
    if not partial and not any(t in selected for t in CURVE_TABLES):
        raise MissingTableError(
            f"the raw folder {raw_dir} has neither readings nor bills; at least one of them "
            f"(readings.csv with daily kWh, or bills.csv with billing periods) is required"
        )
    if "inspections" not in selected and not wio.has_table(warehouse, "inspections"):
        notes.append("no inspections table: scoring works, but training needs inspection results")
    return notes


def _known_keys(name: str, accepted: dict[str, pd.DataFrame], warehouse: Path | None) -> pd.Index:
    """Keys of a referenced table: this batch's accepted rows, else (``warehouse`` given, for a
    partial or appending run) the stored table's."""
    column = TABLES[name].key[0]
    if name in accepted:
        return pd.Index(accepted[name][column].dropna().unique())
    if warehouse is None:
        return pd.Index([])
    stored = wio.read_table(warehouse, name, columns=[column], missing_ok=True)
    return pd.Index([] if stored is None else stored[column].dropna().unique())


def ingest(
    raw_dir: str | Path,
    warehouse: str | Path,
    config: Config | None = None,
    tables: list[str] | None = None,
    append: bool = False,
    engine: str | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
) -> IngestReport:
    """Validate the raw tables in ``raw_dir`` and write them to ``warehouse``.

    ``tables`` restricts the run to some tables (others in the warehouse are left alone);
    without it, a full ingest replaces the warehouse's tables and removes those the batch lacks.
    ``engine`` (default: config.engine) parses the files of a table side by side: "local" (one
    after another), "processes" (``workers`` processes) or "dask" (the cluster at ``scheduler``,
    else a local one); the warehouse written is the same on every engine (``parallel``).
    """
    config = config or Config()
    engine = engine or config.engine
    scheduler = scheduler or config.scheduler
    workers = workers or config.workers
    raw_dir, warehouse = Path(raw_dir), Path(warehouse)
    found, unknown = discover(raw_dir)
    selected = _select(found, tables)
    partial = append or tables is not None
    report = IngestReport(warehouse, unknown_files=unknown, append=append)
    report.notes.extend(_require(raw_dir, selected, warehouse, partial))
    if unknown:
        report.notes.append("ignored (not a table name): " + ", ".join(unknown))

    accepted: dict[str, pd.DataFrame] = {}
    quarantines: dict[str, pd.DataFrame] = {}
    with file_parser(engine, scheduler, workers) as parse_all:
        for name in selected:
            jobs = [(path, name, path.relative_to(raw_dir).as_posix()) for path in found[name]]
            _check_table(
                name, combine(parse_all(jobs)), warehouse, partial, append, accepted, quarantines, report
            )

    _write(warehouse, accepted, quarantines, report, config, remove_stale=not partial)
    return report


def _check_table(
    name: str,
    batch: TableBatch,
    warehouse: Path,
    partial: bool,
    append: bool,
    accepted: dict[str, pd.DataFrame],
    quarantines: dict[str, pd.DataFrame],
    report: IngestReport,
) -> None:
    """Checks across the files of one table, against tables already accepted; fills the report."""
    stored = warehouse if partial else None
    known = {ref: _known_keys(ref, accepted, stored) for ref in _references_of(name)}
    existing = wio.read_table(warehouse, name, missing_ok=True) if append else None
    good, quarantine, checks = check_batch(batch, known, existing)
    if existing is not None and len(existing):
        good = pd.concat([existing, good], ignore_index=True)
    accepted[name] = good
    quarantines[name] = quarantine
    report.tables[name] = TableReport(
        name,
        read=batch.rows_read,
        accepted=batch.rows_read - len(quarantine),
        quarantined=len(quarantine),
        stored=len(good),
        files=batch.notes,
        checks_failed=checks,
    )
    if batch.interval:
        days = len(good) - (0 if existing is None else len(existing))
        report.tables[name].messages.append(
            f"interval readings: {report.tables[name].accepted:,} rows summed to {days:,} customer-days"
        )
    log.info(
        "%s: %d read, %d accepted, %d quarantined",
        name,
        batch.rows_read,
        report.tables[name].accepted,
        len(quarantine),
    )


def _references_of(name: str) -> list[str]:
    refs = [ref for ref, _ in TABLES[name].references.values()]
    if name == "inspections":
        refs += ["customers", "work_orders"]
    return list(dict.fromkeys(refs))


def _write(
    warehouse: Path,
    accepted: dict[str, pd.DataFrame],
    quarantines: dict[str, pd.DataFrame],
    report: IngestReport,
    config: Config,
    remove_stale: bool,
) -> None:
    """Tables, quarantine files (personal columns masked) and the manifest, each atomically."""
    warehouse.mkdir(parents=True, exist_ok=True)
    qdir = warehouse / wio.QUARANTINE_DIR
    for name, frame in accepted.items():
        wio.write_table(warehouse, name, frame, n_buckets=config.n_buckets)
        report.tables[name].snapshot_hash = wio.frame_hash(frame)
        target = qdir / f"{name}.csv"
        if len(quarantines[name]):
            wio.write_csv(target, mask_frame(quarantines[name]))
        elif target.exists():
            target.unlink()
    if remove_stale:
        for name in TABLES:
            if name not in accepted and wio.has_table(warehouse, name):
                shutil.rmtree(wio.table_path(warehouse, name))
                (qdir / f"{name}.csv").unlink(missing_ok=True)
                report.notes.append(f"removed the earlier {name} table: this batch has none")
    wio.write_json(warehouse / wio.MANIFEST, _manifest(warehouse, report, keep_earlier=not remove_stale))


def _manifest(warehouse: Path, report: IngestReport, keep_earlier: bool) -> dict:
    """This run's report; a partial or appending run keeps the entries of tables it left alone."""
    manifest = report.as_dict()
    if keep_earlier:
        earlier = wio.read_manifest(warehouse).get("tables", {})
        tables = {n: earlier[n] for n in TABLES if n in earlier and n not in manifest["tables"]}
        manifest["tables"] = {
            n: (manifest["tables"] | tables)[n] for n in TABLES if n in manifest["tables"] or n in tables
        }
    entries = manifest["tables"]
    digest = hashlib.sha256("".join(entries[n]["snapshot_hash"] for n in sorted(entries)).encode())
    manifest["snapshot"] = {
        "hash": digest.hexdigest(),
        "rows": {n: entries[n]["rows_in_warehouse"] for n in sorted(entries)},
    }
    return manifest
