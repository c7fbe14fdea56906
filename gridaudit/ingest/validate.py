"""Row checks built from the data contract: each failing row gets a reason an auditor can read.

The pandera schema of a table is derived from ``contract.TABLES`` (required -> not nullable,
``allowed`` -> isin, ``minimum``/``maximum`` -> bounds), never written by hand, so the contract
stays the one description of the data. Checks that span rows (duplicate keys) or tables
(references) are here too; all are vectorised.
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import pandera.pandas as pa

from ..contract import TABLES, Column, Table

# Required columns whose cells may be empty: the contract says "kwh: float >= 0 or empty"
# (empty = not collected, a missing day, never zero).
EMPTY_ALLOWED = {("readings", "kwh")}


def _checks(col: Column) -> list[pa.Check]:
    checks = []
    if col.allowed is not None:
        checks.append(pa.Check.isin(list(col.allowed), error="allowed"))
    if col.minimum is not None:
        if col.exclusive_minimum:
            checks.append(pa.Check.gt(col.minimum, error="minimum"))
        else:
            checks.append(pa.Check.ge(col.minimum, error="minimum"))
    if col.maximum is not None:
        checks.append(pa.Check.le(col.maximum, error="maximum"))
    return checks


@cache
def schema_for(table_name: str) -> pa.DataFrameSchema:
    """The pandera schema of one contract table (extra columns allowed)."""
    table = TABLES[table_name]
    return pa.DataFrameSchema(
        {
            col.name: pa.Column(
                nullable=not col.required or (table_name, col.name) in EMPTY_ALLOWED,
                checks=_checks(col),
                required=col.required,
            )
            for col in table.columns
        },
        strict=False,
        coerce=False,
        name=table_name,
    )


def _words(name: str) -> str:
    return name.replace("_", " ")


def _number(values: pd.Series) -> pd.Series:
    """Numbers as an auditor writes them: 3 rather than 3.0 (only failing cells pass here)."""
    return pd.to_numeric(values, errors="coerce").map(lambda v: f"{v:.15g}").astype("str")


def reason_for(table: Table, column: str, check: str, values: pd.Series) -> pd.Series:
    """Reason sentences for the failing cells of one check (vectorised over the cells)."""
    col = table.column(column)
    where = f"{table.name}.{column}"
    if check == "not_nullable":
        return pd.Series(f"missing {where} (required)", index=values.index)
    if check == "allowed":
        allowed = ", ".join(col.allowed or ())
        return f"unknown {_words(column)} '" + values.astype("str") + f"' in {where} (allowed: {allowed})"
    if check == "minimum":
        shown = _number(values)
        if col.minimum == 0 and not col.exclusive_minimum:
            return f"negative {_words(column)} " + shown + f" in {where}"
        sign = ">" if col.exclusive_minimum else ">="
        return f"{_words(column)} " + shown + f" in {where} must be {sign} {col.minimum:g}"
    if check == "maximum":
        return f"{_words(column)} " + _number(values) + f" in {where} must be <= {col.maximum:g}"
    return f"{check} failed in {where}: " + values.astype("str")


def unreadable_reason(table: Table, column: str, raw: pd.Series) -> pd.Series:
    """Reason for cells the converters could not read, naming the column and the value."""
    kind = table.column(column).kind
    what = {
        "float": "not a number",
        "int": "not a whole number",
        "date": "unreadable date",
        "datetime": "unreadable date and time",
        "month": "unreadable month (expected YYYY-MM)",
    }.get(kind, "unreadable value")
    return f"{what} '" + raw.astype("str") + f"' in {table.name}.{column}"


# Report category of each schema check (the quarantine file holds the full sentence).
CHECK_LABELS = {
    "not_nullable": "missing required value",
    "allowed": "unknown category value",
    "minimum": "value below the minimum",
    "maximum": "value above the maximum",
}


def row_failures(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """One row per failing (row, check): columns ``check`` (category) and ``reason`` (sentence),
    indexed by row label; empty when all rows pass."""
    try:
        schema_for(table.name).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return pd.DataFrame(columns=["check", "reason"])
    cases = cases.loc[cases["index"].notna() & cases["column"].isin(table.names)]
    parts = []
    for (column, check), group in cases.groupby(["column", "check"], sort=True):
        index = group["index"].astype("int64").to_numpy()
        values = pd.Series(group["failure_case"].to_numpy(), index=index)
        reasons = reason_for(table, column, check, values).astype("str")
        parts.append(pd.DataFrame({"check": CHECK_LABELS.get(check, check), "reason": reasons}))
    if not parts:
        return pd.DataFrame(columns=["check", "reason"])
    return pd.concat(parts)


def duplicate_rows(frame: pd.DataFrame, table: Table, key: list[str] | None = None) -> pd.Series:
    """Rows whose key repeats an earlier row (the first is kept), with the key in the reason."""
    key = [k for k in (key or table.key) if k in frame.columns]
    if not key or frame.empty:
        return pd.Series([], dtype="str")
    repeated = frame.duplicated(subset=key, keep="first")
    if not repeated.any():
        return pd.Series([], dtype="str")
    return f"duplicate {table.name} key (" + key_text(frame.loc[repeated], key) + "); the first row is kept"


def key_text(frame: pd.DataFrame, key: list[str]) -> pd.Series:
    """``customer_id=C0001, date=2024-01-05`` per row, vectorised."""
    parts = []
    for name in key:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            text = values.dt.strftime("%Y-%m-%d %H:%M:%S" if name == "timestamp" else "%Y-%m-%d")
        else:
            text = values.astype("str")
        parts.append(f"{name}=" + text.fillna(""))
    out = parts[0]
    for part in parts[1:]:
        out = out + ", " + part
    return out


def reference_failures(frame: pd.DataFrame, table: Table, known: dict[str, pd.Index]) -> pd.Series:
    """Rows pointing at a customer (or work order) that is not in the tables ingested.

    ``known`` maps a referenced table name to the keys accepted for it.
    """
    reasons = []
    for column, (ref_table, ref_column) in table.references.items():
        if ref_table not in known or column not in frame.columns:
            continue
        orphan = frame[column].notna() & ~frame[column].isin(known[ref_table])
        if orphan.any():
            reasons.append(
                f"{table.name}.{column} '"
                + frame.loc[orphan, column].astype("str")
                + f"' is not in {ref_table}.{ref_column}"
            )
    if table.name == "inspections":
        targets = {"customer": ("customers", "customer_id"), "work_order": ("work_orders", "order_id")}
        for target_type, (ref_table, ref_column) in targets.items():
            rows = frame["target_type"] == target_type
            if ref_table not in known:
                continue
            orphan = rows & frame["target_id"].notna() & ~frame["target_id"].isin(known[ref_table])
            if orphan.any():
                reasons.append(
                    "inspections.target_id '"
                    + frame.loc[orphan, "target_id"].astype("str")
                    + f"' ({_words(target_type)}) is not in {ref_table}.{ref_column}"
                )
    if not reasons:
        return pd.Series([], dtype="str")
    return pd.concat(reasons).astype("str")
