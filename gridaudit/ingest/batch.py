"""All files of one table together: checks across rows and tables, then accepted vs quarantined."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..contract import TABLES
from .parse import FileNotes, ParsedFile, failures_frame, quarantine_rows
from .validate import duplicate_rows, key_text, reference_failures


@dataclass
class TableBatch:
    """One table's rows from all its files, with file and row number kept per row."""

    table: str
    original: pd.DataFrame
    typed: pd.DataFrame
    failures: pd.DataFrame  # check, reason; indexed by row label of original/typed
    source_file: pd.Series
    source_row: pd.Series
    notes: list[FileNotes]
    interval: bool = False  # readings with timestamps: checked per row, then summed to days

    @property
    def rows_read(self) -> int:
        return len(self.typed)


def combine(parsed: list[ParsedFile]) -> TableBatch:
    """Stack the parsed files of one table (row labels become 0..n-1 across files)."""
    offsets = np.cumsum([0] + [len(p.typed) for p in parsed])
    failures = []
    for offset, p in zip(offsets, parsed, strict=False):
        if len(p.failures):
            f = p.failures.copy()
            f.index = p.typed.index.get_indexer(f.index) + offset
            failures.append(f)
    original = pd.concat([p.original for p in parsed], ignore_index=True)
    typed = pd.concat([p.typed for p in parsed], ignore_index=True)
    if "timestamp" in typed.columns:  # daily parts beside interval parts: the day is the time
        typed["timestamp"] = typed["timestamp"].fillna(typed["date"])
    files = [p.notes.file for p in parsed]
    codes = np.repeat(np.arange(len(parsed)), [len(p.typed) for p in parsed])
    source_file = pd.Series(pd.Categorical.from_codes(codes, categories=files))
    source_row = pd.Series(
        np.concatenate([p.typed.index.to_numpy() + p.first_row for p in parsed]), dtype="int64"
    )
    return TableBatch(
        parsed[0].table,
        original,
        typed,
        pd.concat(failures) if failures else pd.DataFrame(columns=["check", "reason"]),
        source_file,
        source_row,
        [p.notes for p in parsed],
        any(p.interval for p in parsed),
    )


def check_batch(
    batch: TableBatch,
    known: dict[str, pd.Index] | None = None,
    existing: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Duplicate keys, rows already stored (append) and references, on rows that passed so far.

    Returns the accepted rows (typed), the quarantine (original values + reason + file + row)
    and the number of failures per check.
    """
    table = TABLES[batch.table]
    failures = [batch.failures] if len(batch.failures) else []
    bad = batch.failures.index.unique() if len(batch.failures) else pd.Index([])
    good = batch.typed.drop(index=bad) if len(bad) else batch.typed
    dups = duplicate_rows(good, table, ["customer_id", "timestamp"] if batch.interval else None)
    if len(dups):
        failures.append(failures_frame(dups, "duplicate key"))
        good = good.drop(index=dups.index)
    if existing is not None and len(existing) and table.key:
        key = list(table.key)
        stored = good.index[key_text(good, key).isin(key_text(existing, key)).to_numpy()]
        if len(stored):
            reasons = (
                "already in the warehouse ("
                + key_text(good.loc[stored], key)
                + "); --append keeps the stored row"
            )
            failures.append(failures_frame(reasons, "already in the warehouse"))
            good = good.drop(index=stored)
    if known:
        orphans = reference_failures(good, table, known)
        if len(orphans):
            failures.append(failures_frame(orphans, "unknown reference"))
            good = good.drop(index=orphans.index.unique())
    all_failures = pd.concat(failures) if failures else pd.DataFrame(columns=["check", "reason"])
    quarantine = quarantine_rows(batch.original, all_failures, batch.source_file, batch.source_row)
    counts = {str(k): int(v) for k, v in all_failures["check"].value_counts().sort_index().items()}
    if batch.interval:
        good = days_from_intervals(good)
    return good.reset_index(drop=True), quarantine, counts


def days_from_intervals(readings: pd.DataFrame) -> pd.DataFrame:
    """Interval kWh summed per customer and day; a day whose intervals are all empty stays
    missing (NaN), never zero. Extra columns cannot be summed and are left out."""
    days = readings.groupby(["customer_id", "date"], sort=True, observed=True)["kwh"].sum(min_count=1)
    return days.reset_index()
