"""One raw file -> canonical columns and types, with a reason for every row that fails a check.

This is everything that can be decided from one file alone: header mapping, type conversion,
Chinese value aliases, defaults and the contract's row checks. Duplicate keys across files and
references between tables are checked by ``load`` once all files are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..contract import TABLES, Column, Table
from ..io import file_sha256
from .errors import AmbiguousDateError
from .headers import HeaderMapping, apply_headers, map_headers
from .read import RawFile, read_file
from .validate import row_failures, unreadable_reason
from .values import DATE_UNIT, AmbiguousDates, convert, day_month_order, map_value_aliases

FAILURE_COLUMNS = ("check", "reason")

# Interval readings (15-minute or hourly) carry a timestamp instead of a day; they are checked
# row by row and summed to days (DATA_CONTRACT: readings).
INTERVAL_HEADERS = ("timestamp", "时间", "数据时间", "采集时间")


@dataclass
class FileNotes:
    """What was done to one file, for the report and the manifest (no cell values inside)."""

    file: str
    rows: int
    encoding: str | None
    sheet: str | None
    headers: HeaderMapping
    absent_columns: list[str] = field(default_factory=list)
    values_mapped: dict[str, dict[str, int]] = field(default_factory=dict)
    defaults_filled: dict[str, int] = field(default_factory=dict)
    sha256: str = ""
    blank_rows: int = 0  # rows with every cell empty (spreadsheet leftovers), not counted as read
    date_orders: dict[str, str] = field(default_factory=dict)  # column -> how 05/01/2024 was read


@dataclass
class ParsedFile:
    """A file after parsing: original text (canonical names) beside the typed columns.

    ``failures`` holds one row per (row, failed check) with columns ``check`` and ``reason``,
    indexed by the row label shared by ``original`` and ``typed``.
    """

    path: Path
    table: str
    original: pd.DataFrame
    typed: pd.DataFrame
    failures: pd.DataFrame
    notes: FileNotes
    first_row: int  # the number a person sees for the first data row (2 under a header line)
    interval: bool = False  # readings with a timestamp per row, to be summed to days


def failures_frame(reasons: pd.Series, check: str) -> pd.DataFrame:
    return pd.DataFrame({"check": check, "reason": reasons.astype("str")}, index=reasons.index)


def empty_column(col: Column, index: pd.Index) -> pd.Series:
    """A column the file lacks, typed as the contract says."""
    if col.kind in ("date", "datetime"):
        return pd.Series(pd.NaT, index=index, dtype=DATE_UNIT)
    if col.kind == "float":
        return pd.Series(np.nan, index=index, dtype="float64")
    if col.kind == "int":
        return pd.Series(pd.NA, index=index, dtype="Int64")
    return pd.Series(np.nan, index=index, dtype="str")


def fill_default(values: pd.Series, col: Column) -> tuple[pd.Series, int]:
    """Missing cells of a column with a contract default get the default (counted)."""
    missing = values.isna()
    n = int(missing.sum())
    if n:
        values = values.where(~missing, col.default)
    if col.kind == "int":
        values = values.astype("int64")
    elif col.kind == "float":
        values = values.astype("float64")
    else:
        values = values.astype("str")
    return values, n


def typed_frame(
    original: pd.DataFrame, table: Table, notes: FileNotes
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Contract columns converted to their kinds (contract order, extras after)."""
    columns: dict[str, pd.Series] = {}
    failures = []
    for col in table.columns:
        if col.name not in original.columns:
            values = empty_column(col, original.index)
            if col.default is None:
                notes.absent_columns.append(col.name)
        else:
            values, bad = _convert(original[col.name], col, table, notes)
            if bad.any():
                reasons = unreadable_reason(table, col.name, original.loc[bad, col.name])
                failures.append(failures_frame(reasons, "unreadable value"))
            values, mapped = map_value_aliases(values, table.name, col.name)
            if mapped:
                notes.values_mapped[col.name] = mapped
        if col.default is not None:
            values, filled = fill_default(values, col)
            if filled:
                notes.defaults_filled[col.name] = filled
        columns[col.name] = values
    for extra in original.columns:
        if extra not in columns:
            columns[extra] = original[extra]
    return pd.DataFrame(columns, index=original.index), failures


def _convert(raw: pd.Series, col: Column, table: Table, notes: FileNotes) -> tuple[pd.Series, pd.Series]:
    """Convert one column; a date column written like 05/01/2024 notes the order it was read in,
    or stops the file when the order cannot be told."""
    if col.kind in ("date", "datetime", "month") and not pd.api.types.is_datetime64_any_dtype(raw.dtype):
        where = f"{notes.file} ({table.name})"
        try:
            order = day_month_order(raw.astype("str").where(raw.notna()))
        except AmbiguousDates as exc:
            if exc.mixed:
                raise AmbiguousDateError(
                    f"{where}: {table.name}.{col.name} writes dates both day first and month first "
                    f"(for example '{exc.example}'); export the dates as YYYY-MM-DD"
                ) from exc
            raise AmbiguousDateError(
                f"{where}: dates in {table.name}.{col.name} such as '{exc.example}' can be read as "
                f"day/month/year or month/day/year and no date in the column tells which; export "
                f"the dates as YYYY-MM-DD"
            ) from exc
        if order is not None:
            notes.date_orders[col.name] = order
    return convert(raw, col.kind)


def drop_blank(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Drop spreadsheet leftovers: empty ``Unnamed: n`` columns and rows with every cell empty.

    Row labels are kept, so row numbers in the quarantine still match the file.
    """
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed:") and frame[c].isna().all()]
    if unnamed:
        frame = frame.drop(columns=unnamed)
    blank = frame.isna().all(axis=1)
    if blank.any():
        frame = frame.loc[~blank]
    return frame, int(blank.sum())


def parse_file(
    path: str | Path, table_name: str, raw: RawFile | None = None, label: str | None = None
) -> ParsedFile:
    """Read and check one file of ``table_name``; raises an ``IngestError`` the user can fix.

    ``label`` names the file in notes and quarantine (default: its file name).
    """
    path = Path(path)
    label = label or path.name
    table = TABLES[table_name]
    raw = raw or read_file(path)
    frame, blank_rows = drop_blank(raw.frame) if not raw.typed else (raw.frame, 0)
    frame, interval = _interval_as_date(frame, table)
    mapping = map_headers(list(frame.columns), table, source=f"{label} ({table_name})")
    original = apply_headers(frame, mapping)
    notes = FileNotes(label, len(original), raw.encoding, raw.sheet, mapping, blank_rows=blank_rows)
    notes.sha256 = file_sha256(path)
    typed, failures = typed_frame(original, table, notes)
    if interval:
        typed.insert(2, "timestamp", convert(original["date"], "datetime")[0])
    unreadable = pd.Index(pd.concat(failures).index.unique()) if failures else pd.Index([], dtype="int64")
    checked = typed.drop(index=unreadable) if len(unreadable) else typed
    failing = row_failures(checked, table)
    if len(failing):
        failures.append(failing)
    all_failures = pd.concat(failures) if failures else pd.DataFrame(columns=list(FAILURE_COLUMNS))
    return ParsedFile(path, table_name, original, typed, all_failures, notes, 1 if raw.typed else 2, interval)


def _interval_as_date(frame: pd.DataFrame, table: Table) -> tuple[pd.DataFrame, bool]:
    """Readings with a timestamp column and no day column: read the timestamp as the day."""
    if table.name != "readings":
        return frame, False
    names = {str(c).strip().lower(): c for c in frame.columns}
    date_names = {n.lower() for n in (table.column("date").name, *table.column("date").aliases)}
    if date_names & set(names):
        return frame, False
    stamp = next((names[h] for h in INTERVAL_HEADERS if h in names), None)
    if stamp is None:
        return frame, False
    return frame.rename(columns={stamp: "date"}), True


def quarantine_rows(
    original: pd.DataFrame,
    failures: pd.DataFrame,
    source_file: pd.Series,
    source_row: pd.Series,
) -> pd.DataFrame:
    """Original values of failing rows with their reasons (joined by '; '), file and row number."""
    columns = [*original.columns, "reason", "source_file", "source_row"]
    if failures.empty:
        return pd.DataFrame(columns=columns)
    reasons = failures["reason"].groupby(level=0, sort=True).agg("; ".join)
    out = original.loc[reasons.index].assign(
        reason=reasons.to_numpy(),
        source_file=source_file.loc[reasons.index].to_numpy(),
        source_row=source_row.loc[reasons.index].to_numpy(),
    )
    return out.reset_index(drop=True)[columns]
