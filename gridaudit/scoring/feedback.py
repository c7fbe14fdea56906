"""Feed inspection results of a list back into the warehouse's inspections table (the labels).

The team returns the list (CSV or XLSX, in the list's own layout, English or Chinese headers)
with a ``result`` column (English or Chinese values, e.g. ``clean``/``正常``, ``theft``/``窃电``).
Optional columns: ``date`` (稽查日期; default: the last day of the list month, the latest day
the inspection can have happened, so no feature sees the result early), ``recovered_amount``
(追补电费), ``recovered_kwh`` (追补电量), ``recorded_date`` (结果登记日期; default: the load date,
never before the inspection date). Rows with an empty result are targets not inspected yet and
are skipped (and counted).

Each result gets the id ``FB-<month>-<target_id>``: loading the same file again changes nothing,
and loading a corrected file replaces the earlier rows of those targets. ``selection`` and
``inclusion_probability`` are kept from the list (model picks become ``targeted``).
"""

from __future__ import annotations

import datetime
import functools
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..contract import INSPECTIONS, RESULTS, VALUE_ALIASES
from ..errors import InputError
from ..io import read_table, write_table
from ..months import MonthError, month_end, parse_month
from .listing import TITLES_ZH, VALUES_ZH

log = logging.getLogger(__name__)


class FeedbackError(InputError, ValueError):
    """An inspection-results file cannot be loaded as it is."""


_HEADER_ALIASES = {title: name for name, title in TITLES_ZH.items()}
for _col in INSPECTIONS.columns:
    for _alias in _col.aliases:
        _HEADER_ALIASES.setdefault(_alias, _col.name)
_HEADER_ALIASES.update(
    {"结果": "result", "稽查结果": "result", "日期": "date", "追补金额": "recovered_amount"}
)

_SELECTION_FROM_LIST = {
    "model": "targeted",
    "模型": "targeted",
    "exploration": "exploration",
    "探索": "exploration",
}
_SELECTION_FROM_LIST.update(VALUE_ALIASES[("inspections", "selection")])
_TARGET_TYPES = {"customer": "customer", "work_order": "work_order"}
_TARGET_TYPES.update({v: k for k, v in VALUES_ZH["target_type"].items()})


@dataclass
class FeedbackSummary:
    """What one feedback load did."""

    rows_in_file: int
    not_inspected: int
    added: int
    replaced: int
    unchanged: int
    inspections_total: int


def read_results(path: str | Path) -> pd.DataFrame:
    """The results file as text columns with canonical names (CSV in UTF-8 or GBK, or XLSX)."""
    path = Path(path)
    if not path.exists():
        raise FeedbackError(f"the results file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        frame = pd.read_excel(path, dtype=str)
    elif suffix == ".csv":
        try:
            frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        except UnicodeDecodeError:
            frame = pd.read_csv(path, dtype=str, encoding="gbk", keep_default_na=False)
    else:
        raise FeedbackError(f"the results file {path} is neither CSV nor XLSX")
    headers = {str(c).strip(): _HEADER_ALIASES.get(str(c).strip(), str(c).strip()) for c in frame.columns}
    frame = frame.rename(columns=lambda c: headers[str(c).strip()])
    frame = frame.apply(lambda s: s.astype("str").str.strip().where(s.notna(), ""))
    frame.attrs["headers"] = {name: title for title, name in headers.items()}  # for messages
    return frame


def _fail(
    path: Path, column: str, bad: pd.Series, what: str, fix: str, headers: dict | None = None
) -> FeedbackError:
    """The one-sentence refusal: file, column (as the file titles it), row count, an example."""
    title = (headers or {}).get(column, column)
    shown = f"'{title}'" if title == column else f"'{title}' ({column})"
    return FeedbackError(
        f"{path.name}: column {shown} has {len(bad)} row(s) {what}, e.g. {bad.iloc[0]!r}; {fix}"
    )


def _known_targets(warehouse: str | Path, target_type: str) -> pd.Index:
    table, column = ("customers", "customer_id") if target_type == "customer" else ("work_orders", "order_id")
    frame = read_table(warehouse, table, columns=[column], missing_ok=True)
    return pd.Index([] if frame is None else frame[column].astype(str).unique())


def results_to_inspections(
    results: pd.DataFrame, path: Path, warehouse: str | Path, recorded: pd.Timestamp
) -> tuple[pd.DataFrame, int]:
    """Validate the results and turn them into inspections rows; returns (rows, not inspected)."""
    fail = functools.partial(_fail, headers=results.attrs.get("headers"))
    for required in ("result", "month"):
        if required not in results.columns:
            raise FeedbackError(
                f"{path.name} has no '{required}' column; return the list file with a 'result' "
                f"(稽查结果) column filled in for each inspected target"
            )
    if "target_id" not in results.columns:
        if "customer_id" not in results.columns:
            raise FeedbackError(f"{path.name} has neither a 'target_id' nor a 'customer_id' column")
        results = results.assign(target_id=results["customer_id"])
    inspected = results.loc[results["result"] != ""].copy()
    skipped = len(results) - len(inspected)

    aliases = {r: r for r in RESULTS} | VALUE_ALIASES[("inspections", "result")]
    result = inspected["result"].map(lambda v: aliases.get(v, aliases.get(v.lower())))
    bad = inspected.loc[result.isna(), "result"]
    if len(bad):
        raise fail(
            path,
            "result",
            bad,
            "with a result gridaudit does not know",
            f"use one of {', '.join(RESULTS)} or their Chinese names (正常, 窃电, 违约用电, ...)",
        )
    target_type = (
        inspected["target_type"].map(lambda v: _TARGET_TYPES.get(v, "customer" if v == "" else None))
        if "target_type" in inspected.columns
        else pd.Series("customer", index=inspected.index)
    )
    bad = inspected.loc[target_type.isna(), "target_type"]
    if len(bad):
        raise fail(path, "target_type", bad, "with an unknown target type", "use customer or work_order")
    for kind in target_type.unique():
        rows = target_type == kind
        unknown = ~inspected.loc[rows, "target_id"].isin(_known_targets(warehouse, kind))
        bad = inspected.loc[rows, "target_id"][unknown]
        if len(bad):
            raise fail(
                path,
                "target_id",
                bad,
                f"naming a {kind} the warehouse does not have",
                "check that the file belongs to this warehouse",
            )
    try:
        months = inspected["month"].map(lambda m: str(parse_month(m)))
    except MonthError as exc:
        bad = inspected["month"]
        raise fail(path, "month", bad, "not written as YYYY-MM", "keep the list's month column") from exc
    default_date = months.map(lambda m: month_end(m))
    if "date" in inspected.columns:
        date = pd.to_datetime(inspected["date"].replace("", None), errors="coerce")
        bad = inspected.loc[date.isna() & (inspected["date"] != ""), "date"]
        if len(bad):
            raise fail(path, "date", bad, "that are not dates", "write dates as YYYY-MM-DD")
        date = date.fillna(default_date)
    else:
        date = pd.to_datetime(default_date)
    recorded_date = pd.Series(recorded, index=inspected.index)
    if "recorded_date" in inspected.columns:
        given = pd.to_datetime(inspected["recorded_date"].replace("", None), errors="coerce")
        recorded_date = given.fillna(recorded_date)
    recorded_date = recorded_date.where(recorded_date >= date, date)

    ids = "FB-" + months + "-" + inspected["target_id"]
    dupes = ids[ids.duplicated()]
    if len(dupes):
        raise fail(
            path,
            "target_id",
            inspected.loc[dupes.index, "target_id"],
            "listed twice for the same month",
            "keep one result per target and month",
        )

    def number(column: str) -> pd.Series:
        if column not in inspected.columns:
            return pd.Series(float("nan"), index=inspected.index)
        values = pd.to_numeric(inspected[column].replace("", None), errors="coerce")
        bad = inspected.loc[values.isna() & (inspected[column] != ""), column]
        if len(bad):
            raise fail(path, column, bad, "that are not numbers", "write plain numbers (yuan or kWh)")
        return values.astype("float64")

    selection = (
        inspected["selection"].map(lambda v: _SELECTION_FROM_LIST.get(v, "unknown"))
        if "selection" in inspected.columns
        else pd.Series("unknown", index=inspected.index)
    )
    rows = pd.DataFrame(
        {
            "inspection_id": ids,
            "target_type": target_type,
            "target_id": inspected["target_id"],
            "date": pd.to_datetime(date).dt.normalize(),
            "result": result,
            "recovered_kwh": number("recovered_kwh"),
            "recovered_amount": number("recovered_amount"),
            "selection": selection,
            "inclusion_probability": number("inclusion_probability"),
            "recorded_date": pd.to_datetime(recorded_date).dt.normalize(),
        }
    )
    return rows.reset_index(drop=True), skipped


def _align_dtypes(new: pd.DataFrame, existing: pd.DataFrame) -> pd.DataFrame:
    """Give the new rows the stored table's column types (dates stay dates, text stays text)."""
    out = new.copy()
    for col in existing.columns:
        if col not in out.columns:
            out[col] = pd.Series(pd.NA, index=out.index).astype(existing[col].dtype)
            continue
        dtype = existing[col].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype):
            out[col] = out[col].astype(dtype)
        elif col in ("date", "recorded_date"):
            sample = existing[col].dropna()
            if len(sample) and isinstance(sample.iloc[0], datetime.date):
                out[col] = pd.Series(out[col].dt.date, index=out.index, dtype="object")
            else:  # stored as text
                out[col] = out[col].dt.strftime("%Y-%m-%d").astype(dtype)
        elif pd.api.types.is_float_dtype(dtype):
            out[col] = out[col].astype(dtype)
    return out[list(existing.columns) + [c for c in out.columns if c not in existing.columns]]


def load_feedback(
    path: str | Path,
    warehouse: str | Path,
    recorded: str | pd.Timestamp | None = None,
    n_buckets: int = 16,
) -> FeedbackSummary:
    """Validate a results file and merge it into the warehouse's inspections table."""
    path = Path(path)
    try:
        recorded_ts = pd.Timestamp(recorded) if recorded is not None else pd.Timestamp.today()
    except ValueError as exc:
        raise FeedbackError(f"the recording date {recorded!r} is not a date; write it as YYYY-MM-DD") from exc
    if pd.isna(recorded_ts):
        raise FeedbackError(f"the recording date {recorded!r} is not a date; write it as YYYY-MM-DD")
    results = read_results(path)
    new, skipped = results_to_inspections(results, path, warehouse, recorded_ts.normalize())
    existing = read_table(warehouse, "inspections", missing_ok=True)
    if existing is None or existing.empty:
        existing = new.iloc[0:0]
    new = _align_dtypes(new, existing)
    known = existing.set_index("inspection_id", drop=False)
    overlap = new["inspection_id"].isin(known.index)
    same = 0
    if overlap.any():
        old = known.loc[new.loc[overlap, "inspection_id"], new.columns].reset_index(drop=True)
        now = new.loc[overlap].reset_index(drop=True)
        equal = ((old == now) | (old.isna() & now.isna())).all(axis=1)
        same = int(equal.sum())
    keep = existing.loc[~existing["inspection_id"].isin(new["inspection_id"])]
    combined = pd.concat([keep, new], ignore_index=True) if len(keep) else new.reset_index(drop=True)
    combined = combined.sort_values("inspection_id", kind="stable").reset_index(drop=True)
    summary = FeedbackSummary(
        rows_in_file=len(results),
        not_inspected=skipped,
        added=int((~overlap).sum()),
        replaced=int(overlap.sum()) - same,
        unchanged=same,
        inspections_total=len(combined),
    )
    if summary.added or summary.replaced:
        write_table(warehouse, "inspections", combined, n_buckets=n_buckets)
    log.info("feedback %s: %s", path, summary)
    return summary
