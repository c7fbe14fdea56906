"""Feature family: what past inspections found on the account and in its area.

Only results *known* by the end of the as-of month are visible here: the context has already cut
the inspections table at ``known_date`` (recorded_date, else inspection date + label delay), so a
late write-up cannot leak into features. Only ``target_type == 'customer'`` rows count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._windows import (
    event_window_means,
    latest_by_row,
    month_window,
    months_between,
    row_positions,
    safe_ratio,
    sum_by_row,
)
from .context import FeatureContext
from .registry import FeatureSpec, register

FAMILY = "inspection_history"
AREA_WINDOWS_MONTHS = (3, 12)
CHANGE_WINDOW_DAYS = 60
ERROR_RESULTS = ("tariff_error", "metering_error", "billing_error", "process_error")


def _spec(name, meaning_en, meaning_zh, unit, risky, reason_en, reason_zh) -> None:
    register(FeatureSpec(name, FAMILY, meaning_en, meaning_zh, unit, risky, reason_en, reason_zh))


_spec(
    "insp_count",
    "inspections of this account with a known result, all time",
    "该户历史稽查次数",
    "count",
    "either",
    "the account has been inspected {value} times (peers: {peer})",
    "该户历史上被稽查{value}次，同台区同类用户为{peer}",
)
_spec(
    "insp_finding_count",
    "inspections of this account that found something, all time",
    "该户历史查实问题次数",
    "count",
    "high",
    "past inspections found a problem {value} times (peers: {peer})",
    "该户历史稽查查实问题{value}次，同台区同类用户为{peer}",
)
_spec(
    "insp_theft_count",
    "inspections of this account that found theft, all time",
    "该户历史查实窃电次数",
    "count",
    "high",
    "theft was found on this account {value} times before (peers: {peer})",
    "该户历史查实窃电{value}次，同台区同类用户为{peer}",
)
_spec(
    "insp_violation_count",
    "inspections of this account that found a contract violation, all time",
    "该户历史查实违约用电次数",
    "count",
    "high",
    "a contract violation was found {value} times before (peers: {peer})",
    "该户历史查实违约用电{value}次，同台区同类用户为{peer}",
)
_spec(
    "insp_error_count",
    "inspections of this account that found a tariff, metering, billing or process error",
    "该户历史查实电价、计量、电费或流程差错次数",
    "count",
    "high",
    "tariff, metering, billing or process errors were found {value} times before (peers: {peer})",
    "该户历史查实电价/计量/电费/流程差错{value}次，同台区同类用户为{peer}",
)
_spec(
    "months_since_last_inspection",
    "months since the last inspection of this account with a known result",
    "距该户最近一次稽查的月数",
    "months",
    "high",
    "the account was last inspected {value} months ago (peers: {peer})",
    "该户上次稽查在{value}个月前，同台区同类用户为{peer}",
)
_spec(
    "months_since_last_finding",
    "months since the last inspection of this account that found something",
    "距该户最近一次查实问题的月数",
    "months",
    "low",
    "the last problem found on this account was {value} months ago (peers: {peer})",
    "该户上次查实问题在{value}个月前，同台区同类用户为{peer}",
)
for _m in AREA_WINDOWS_MONTHS:
    _spec(
        f"area_insp_count_{_m}m",
        f"inspections in the account's area in the last {_m} months (known results)",
        f"所在台区近{_m}个月稽查次数",
        "count",
        "either",
        f"{{value}} inspections were made in this area in the last {_m} months (peers: {{peer}})",
        f"所在台区近{_m}个月稽查{{value}}次，同台区同类用户为{{peer}}",
    )
    _spec(
        f"area_finding_count_{_m}m",
        f"findings in the account's area in the last {_m} months (known results)",
        f"所在台区近{_m}个月查实问题次数",
        "count",
        "high",
        f"{{value}} problems were found in this area in the last {_m} months (peers: {{peer}})",
        f"所在台区近{_m}个月查实问题{{value}}次，同台区同类用户为{{peer}}",
    )
    _spec(
        f"area_finding_rate_{_m}m",
        f"share of inspections in the account's area in the last {_m} months that found something",
        f"所在台区近{_m}个月稽查查实率",
        "share",
        "high",
        f"{{value}} of inspections in this area found a problem in the last {_m} months (peers: {{peer}})",
        f"所在台区近{_m}个月稽查查实率为{{value}}，同台区同类用户为{{peer}}",
    )
_spec(
    "kwh_change_after_inspection_or_meter_change",
    "mean daily kWh in the 60 days after the last inspection or meter replacement / the 60 days before - 1",
    "最近一次稽查或换表后60天日均电量相对此前60天的变化",
    "ratio",
    "either",
    "consumption changed by {value} after the last inspection or meter replacement (peers: {peer})",
    "最近一次稽查或换表后用电量变化{value}，同台区同类用户为{peer}",
)


def _customer_inspections(ctx: FeatureContext) -> pd.DataFrame:
    """Known customer inspections: row of the customer in this build (-1: not one), id, date, result."""
    table = ctx.table("inspections")
    if table is None or table.empty:
        return pd.DataFrame(
            {"row": np.array([], dtype=int), "target_id": [], "date": pd.to_datetime([]), "result": []}
        )
    rows = table.loc[table["target_type"].astype(str) == "customer"]
    return pd.DataFrame(
        {
            "row": row_positions(ctx.customer_index, rows["target_id"]),
            "target_id": rows["target_id"].astype(str).to_numpy(),
            "date": pd.to_datetime(rows["date"]).to_numpy(),
            "result": rows["result"].astype(str).to_numpy(),
        }
    )


def _meter_replacements(ctx: FeatureContext) -> pd.DataFrame:
    """Meter replacement orders: row of the customer and date (completion, else creation)."""
    orders = ctx.table("work_orders")
    if orders is None or orders.empty:
        return pd.DataFrame({"row": np.array([], dtype=int), "date": pd.to_datetime([])})
    rows = orders.loc[orders["kind"].astype(str) == "meter_replacement"]
    when = pd.to_datetime(rows["completed_at"]).fillna(pd.to_datetime(rows["created_at"])).dt.normalize()
    return pd.DataFrame(
        {"row": row_positions(ctx.customer_index, rows["customer_id"]), "date": when.to_numpy()}
    )


def inspection_history_features(ctx: FeatureContext) -> pd.DataFrame | None:
    """Own inspection record, area finding rates and the level change after the last visit."""
    if ctx.table("inspections") is None:
        return None
    index = ctx.customer_index
    n = len(index)
    insp = _customer_inspections(ctx)
    row = insp["row"].to_numpy()
    finding = (insp["result"] != "clean").to_numpy()
    out: dict[str, np.ndarray] = {
        "insp_count": sum_by_row(row, n),
        "insp_finding_count": sum_by_row(row[finding], n),
    }
    for name, results in (
        ("insp_theft_count", ("theft",)),
        ("insp_violation_count", ("violation",)),
        ("insp_error_count", ERROR_RESULTS),
    ):
        out[name] = sum_by_row(row[insp["result"].isin(results).to_numpy()], n)
    last_inspection = latest_by_row(row, n, insp["date"])
    last_finding = latest_by_row(row[finding], n, insp["date"][finding])
    out["months_since_last_inspection"] = months_between(last_inspection, ctx.as_of_end)
    out["months_since_last_finding"] = months_between(last_finding, ctx.as_of_end)

    # area of each inspected customer, looked up among everyone (a bucket's inspections of its
    # neighbours in other buckets count for the area too); inspections are a small shared table
    everyone = ctx.everyone
    area_codes, areas = pd.factorize(everyone["area_id"].astype(str))
    row_everyone = row_positions(pd.Index(everyone["customer_id"].astype(str)), insp["target_id"])
    insp_area = np.where(row_everyone >= 0, area_codes[np.maximum(row_everyone, 0)], -1)
    own_area = areas.get_indexer(ctx.customers["area_id"].astype(str))  # every area is in everyone's
    for months in AREA_WINDOWS_MONTHS:
        recent = month_window(insp["date"], ctx.as_of, months).to_numpy()
        count = sum_by_row(insp_area[recent], len(areas))[own_area]
        found = sum_by_row(insp_area[recent & finding], len(areas))[own_area]
        out[f"area_insp_count_{months}m"] = count
        out[f"area_finding_count_{months}m"] = found
        out[f"area_finding_rate_{months}m"] = safe_ratio(found, count)

    replacements = _meter_replacements(ctx)
    last_replacement = latest_by_row(replacements["row"].to_numpy(), n, replacements["date"])
    # NaT is the smallest int64, so the maximum keeps whichever event is known
    last_event = np.maximum(last_inspection.astype("int64"), last_replacement.astype("int64")).astype(
        "datetime64[ns]"
    )
    if ctx.curve is not None:
        before, after = event_window_means(ctx.curve, last_event, CHANGE_WINDOW_DAYS)
        out["kwh_change_after_inspection_or_meter_change"] = safe_ratio(after, before) - 1.0
    else:
        out["kwh_change_after_inspection_or_meter_change"] = np.full(n, np.nan)
    return pd.DataFrame(out, index=index)
