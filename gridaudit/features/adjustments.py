"""Feature family: billing adjustments (退补电费, reading edits, estimated bills) on the account.

Repeated refunds, edited readings and adjustments booked again and again by the same operator
are how billing fraud and collusion show in the books. Windows are calendar months ending with
the as-of month. Counts are 0 (known) when the account has no adjustment; the family is absent
when the warehouse has no adjustments table at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..contract import ADJUSTMENT_KINDS
from ._windows import latest_by_row, month_window, row_positions, safe_ratio, sum_by_row
from .context import FeatureContext
from .registry import FeatureSpec, register

FAMILY = "adjustments"
WINDOWS_MONTHS = (3, 12)
SUM_KINDS = ("refund", "supplement", "reading_edit", "all")

_KIND_ZH = {
    "refund": "退费",
    "supplement": "补收",
    "reading_edit": "修改指针",
    "multiplier_edit": "修改倍率",
    "tariff_edit": "修改电价",
    "estimated_bill": "估抄",
    "other": "其他退补",
    "all": "全部退补",
}

for _m in WINDOWS_MONTHS:
    for _kind in ADJUSTMENT_KINDS:
        register(
            FeatureSpec(
                f"adj_count_{_kind}_{_m}m",
                FAMILY,
                f"number of {_kind} adjustments booked in the last {_m} months",
                f"近{_m}个月{_KIND_ZH[_kind]}次数",
                "count",
                "high",
                f"{{value}} {_kind.replace('_', ' ')} adjustments were booked in the last {_m} months "
                f"(peers: {{peer}})",
                f"近{_m}个月发生{_KIND_ZH[_kind]}{{value}}次，同台区同类用户为{{peer}}",
            )
        )
    for _kind in SUM_KINDS:
        _label = "all adjustments" if _kind == "all" else f"{_kind.replace('_', ' ')} adjustments"
        register(
            FeatureSpec(
                f"adj_kwh_{_kind}_{_m}m",
                FAMILY,
                f"signed energy of {_label} in the last {_m} months (+ added, - removed)",
                f"近{_m}个月{_KIND_ZH[_kind]}电量合计（正为补收，负为退减）",
                "kwh",
                "low",
                f"{_label} changed billed energy by {{value}} kWh in the last {_m} months (peers: {{peer}})",
                f"近{_m}个月{_KIND_ZH[_kind]}电量合计{{value}}kWh，同台区同类用户为{{peer}}",
            )
        )
        register(
            FeatureSpec(
                f"adj_amount_{_kind}_{_m}m",
                FAMILY,
                f"signed money of {_label} in the last {_m} months (+ added, - removed)",
                f"近{_m}个月{_KIND_ZH[_kind]}电费合计（正为补收，负为退减）",
                "yuan",
                "low",
                f"{_label} changed the bill by {{value}} yuan in the last {_m} months (peers: {{peer}})",
                f"近{_m}个月{_KIND_ZH[_kind]}电费合计{{value}}元，同台区同类用户为{{peer}}",
            )
        )
register(
    FeatureSpec(
        "refund_share_12m",
        FAMILY,
        "energy refunded in the last 12 months over the energy billed (bills, else the curve)",
        "近12个月退费电量占结算电量的比例",
        "share",
        "high",
        "refunds took back {value} of the energy billed over the last year (peers: {peer})",
        "近12个月退费电量占结算电量的{value}，同台区同类用户为{peer}",
    )
)
register(
    FeatureSpec(
        "adj_max_by_one_operator_12m",
        FAMILY,
        "most adjustments booked on this account by a single operator in the last 12 months",
        "近12个月同一操作员对该户办理退补的最多次数",
        "count",
        "high",
        "one operator booked {value} adjustments on this account in the last year (peers: {peer})",
        "近12个月同一操作员对该户办理退补{value}次，同台区同类用户为{peer}",
    )
)
register(
    FeatureSpec(
        "days_since_last_adjustment",
        FAMILY,
        "days since the last billing adjustment on the account",
        "距最近一次退补的天数",
        "days",
        "low",
        "the last billing adjustment was {value} days ago (peers: {peer})",
        "最近一次退补在{value}天前，同台区同类用户为{peer}",
    )
)


def _billed_kwh_12m(ctx: FeatureContext) -> np.ndarray:
    """Energy billed in the last 12 months: bills where the account has any, else the curve sum."""
    n = len(ctx.customers)
    billed = np.full(n, np.nan)
    if ctx.curve is not None:
        window = ctx.curve.last_days(365, ctx.as_of_end)
        collected = ~np.isnan(window)
        billed = np.where(collected.any(axis=1), np.where(collected, window, 0.0).sum(axis=1), np.nan)
    bills = ctx.table("bills")
    if bills is not None and not bills.empty:
        recent = month_window(bills["read_date"], ctx.as_of, 12).to_numpy()
        row = row_positions(ctx.customer_index, bills["customer_id"])[recent]
        kwh = pd.to_numeric(bills["kwh_billed"], errors="coerce").to_numpy(dtype=float)[recent]
        has_bill = sum_by_row(row, n, ~np.isnan(kwh)) > 0
        billed = np.where(has_bill, sum_by_row(row, n, kwh), billed)
    return billed


def _numeric(table: pd.DataFrame, column: str) -> np.ndarray:
    if column not in table.columns:
        return np.full(len(table), np.nan)
    return pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)


def adjustments_features(ctx: FeatureContext) -> pd.DataFrame | None:
    """Counts, signed sums, refund share, operator repetition and recency of adjustments."""
    table = ctx.table("billing_adjustments")
    if table is None:
        return None
    index = ctx.customer_index
    n = len(index)
    row = row_positions(index, table["customer_id"])
    kind = table["kind"].astype(str)
    kwh = _numeric(table, "kwh_delta")
    amount = _numeric(table, "amount_delta")
    out: dict[str, np.ndarray] = {}
    for months in WINDOWS_MONTHS:
        in_window = month_window(table["date"], ctx.as_of, months).to_numpy()
        for name in ADJUSTMENT_KINDS:
            out[f"adj_count_{name}_{months}m"] = sum_by_row(row[in_window & (kind == name).to_numpy()], n)
        for name in SUM_KINDS:
            chosen = in_window if name == "all" else in_window & (kind == name).to_numpy()
            out[f"adj_kwh_{name}_{months}m"] = sum_by_row(row[chosen], n, kwh[chosen])
            out[f"adj_amount_{name}_{months}m"] = sum_by_row(row[chosen], n, amount[chosen])

    refunded = np.clip(-out["adj_kwh_refund_12m"], 0.0, None)  # refunds remove energy (negative)
    out["refund_share_12m"] = safe_ratio(refunded, _billed_kwh_12m(ctx))

    year = month_window(table["date"], ctx.as_of, 12).to_numpy() & (row >= 0)
    if "operator_id" in table.columns:
        year &= table["operator_id"].notna().to_numpy()
        per_operator = pd.DataFrame(
            {"row": row[year], "operator": table["operator_id"].astype(str).to_numpy()[year]}
        ).value_counts()
        most = np.zeros(n)
        np.maximum.at(most, per_operator.index.get_level_values("row").to_numpy(), per_operator.to_numpy())
    else:
        most = np.full(n, np.nan)  # who booked them is unknown
    out["adj_max_by_one_operator_12m"] = most

    last = latest_by_row(row, n, table["date"])
    out["days_since_last_adjustment"] = (
        (np.datetime64(ctx.as_of_end, "ns") - last).astype("timedelta64[D]").astype(float)
    )
    out["days_since_last_adjustment"][np.isnat(last)] = np.nan
    return pd.DataFrame(out, index=index)
