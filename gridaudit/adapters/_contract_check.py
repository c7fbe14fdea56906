"""Count the rows of converted tables that break the data contract, before ingest sees them.

Adapters never drop or repair such rows: ingest quarantines them with the reason. These counts
let the convert command say beforehand how many rows ingest will set aside, and why.
"""

from __future__ import annotations

import pandas as pd

from ..contract import TABLES


def contract_problems(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per (table, rule) that some rows break: table, column, rule, rows, example."""
    found = []
    for name, frame in tables.items():
        table = TABLES.get(name)
        if table is None or frame is None or frame.empty:
            continue
        if table.key and all(k in frame.columns for k in table.key):
            dup = frame.duplicated(list(table.key), keep="first")  # ingest keeps the first row
            if dup.any():
                example = frame.loc[dup, list(table.key)].iloc[0].astype(str).tolist()
                found.append((name, "+".join(table.key), "duplicate key", int(dup.sum()), " / ".join(example)))
        for col in table.columns:
            if col.name not in frame.columns or col.kind not in ("float", "int"):
                continue
            values = pd.to_numeric(frame[col.name], errors="coerce")
            if col.minimum is not None:
                bad = values <= col.minimum if col.exclusive_minimum else values < col.minimum
                rule = f"{'<=' if col.exclusive_minimum else '<'} {col.minimum:g}"
                if bad.any():
                    found.append((name, col.name, rule, int(bad.sum()), str(values[bad].iloc[0])))
            if col.maximum is not None:
                bad = values > col.maximum
                if bad.any():
                    found.append((name, col.name, f"> {col.maximum:g}", int(bad.sum()), str(values[bad].iloc[0])))
        for col in table.required:
            # an empty daily kWh means "not collected", which the contract allows
            if (name, col) == ("readings", "kwh"):
                continue
            if col in frame.columns:
                missing = frame[col].isna()
                if missing.any():
                    found.append((name, col, "required value missing", int(missing.sum()), ""))
    return pd.DataFrame(found, columns=["table", "column", "rule", "rows", "example"])
