"""Feature family: bills -- the classic meter-reading audit checks, per customer.

What an auditor checks on 抄表电费 records: does the billed energy equal (end - start) x
multiplier; does the index go backwards, stand still or break its chain; was the meter
replaced and did consumption change afterwards; were readings estimated or the meter status
abnormal; were periods longer than usual; is all energy in the first tier despite a large
total; did consumption fall in the last periods against the customer's own history; were
periods billed 0 kWh while the index advanced; where the index stood when billing began (an old
meter taken over) and how high it went; did the meter's model code change under the same meter
number; how long after the connection did billing start. Consumption features use electricity meters
(bills without a ``meter_type`` column count as electricity); a client's gas meters (STEG) give
the gas trend that the electricity trend is compared with.

Input: ``ctx.tables["bills"]``, already cut at the as-of month. Output: one row per customer
with bills; NaN where a value is unknown (never 0). Vectorised: groupby aggregations only, on
integer codes of the customer ids. Six features are measured against company-wide norms
(NORM_FEATURES): with ``ctx.group_pass`` they are filled in pass 2 over every customer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .context import FeatureContext
from .groups import group_input
from .registry import FeatureSpec, register

FAMILY = "bills"
RECENT_DAYS = 365  # "last 12 months"
LAST_PERIODS = 4  # "the last 4 periods"
MISMATCH_TOLERANCE_KWH = 1.0  # rounding allowed in the billed-vs-index identity
MISMATCH_TOLERANCE_SHARE = 0.01
SPIKE_FACTOR = 5.0  # a period's kWh/month this many times the customer's median is a jump
LOW_TIER_ONLY_QUANTILE = 0.5
NORMAL_CODES = frozenset({"0", "normal", "正常", "ok", "n"})

_FEATURES = [
    # name, unit, risky, meaning_en, meaning_zh, reason_en, reason_zh
    ("bill_count", "count", "either", "number of bills", "抄表账单数",
     "{value} bills on record (peers {peer})", "共有{value}张抄表账单（同类用户{peer}张）"),
    ("bill_meter_count", "count", "high", "number of meters billed", "计费电能表数量",
     "{value} meters billed (peers {peer})", "计费电能表{value}块（同类用户{peer}块）"),
    ("bill_gas_meter_count", "count", "either", "number of gas meters of the client", "燃气表数量",
     "{value} gas meters", "燃气表{value}块"),
    ("bill_tenure_months", "months", "either", "months since the first bill", "自首张账单以来的月数",
     "first bill {value} months ago (peers {peer})", "首张账单在{value}个月前（同类用户{peer}个月）"),
    ("bill_months_since_last", "months", "high", "months since the last bill", "距最近一次账单的月数",
     "no bill for the last {value} months", "最近{value}个月没有账单"),
    ("bill_identity_mismatch_share", "share", "high",
     "share of bills whose billed energy differs from (end - start) x multiplier",
     "结算电量与(止码-起码)×倍率不符的账单占比",
     "billed energy differs from the index difference on {value} of bills",
     "{value}的账单结算电量与表码差×倍率不符"),
    ("bill_identity_mismatch_kwh", "kwh", "high",
     "mean absolute gap between billed energy and index difference x multiplier, on mismatching bills",
     "不符账单中结算电量与表码差×倍率的平均差额",
     "billed energy misses the index difference by {value} kWh on average",
     "结算电量与表码差平均相差{value}千瓦时"),
    ("bill_billed_to_index_ratio", "ratio", "low",
     "all billed energy over all index advance x multiplier", "累计结算电量与累计表码差×倍率之比",
     "only {value} of the metered energy was billed", "仅结算了表计电量的{value}"),
    ("bill_index_backwards_count", "count", "high", "bills whose end index is below the start index",
     "止码小于起码的账单数", "the index went backwards {value} times", "表码倒走{value}次"),
    ("bill_index_repeat_share", "share", "high", "share of bills with end index equal to start index",
     "止码等于起码的账单占比", "the index stood still on {value} of bills", "{value}的账单表码未走动"),
    ("bill_unbilled_gap_share", "share", "high",
     "energy the index advanced between two bills (start above the previous end) over all energy",
     "两次账单之间表码走动却未结算的电量（起码高于上期止码）占总电量的比例",
     "{value} of the metered energy fell between bills and was never billed",
     "有{value}的表计电量落在两次账单之间，未曾结算"),
    ("bill_index_chain_break_share", "share", "high",
     "share of bills whose start index differs from the same meter's previous end index",
     "起码与同一电能表上期止码不衔接的账单占比",
     "the start index does not continue the previous reading on {value} of bills",
     "{value}的账单起码与上期止码不衔接"),
    ("bill_spike_count", "count", "high",
     "bills with kWh per month above 5 times the customer's median", "月均电量超过本户中位数5倍的账单数",
     "{value} bills jump above 5 times the customer's median kWh per month", "有{value}张账单电量突增至平时的5倍以上"),
    ("bill_meter_replacements", "count", "high", "electricity meter replacements (new meter ids)",
     "电能表更换次数（出现新表号）", "{value} electricity meter replacements (new meter numbers on the bills)",
     "电能表更换过{value}次（账单上出现新表号）"),
    ("bill_after_replacement_ratio", "ratio", "either",
     "kWh per month after the last meter replacement over before it", "最近一次换表后与换表前的月均电量之比",
     "the new meter bills {value} of the kWh per month the old meter billed",
     "最近一次换表后电量为换表前的{value}"),
    ("bill_months_since_replacement", "months", "either",
     "months since the electricity meter was last replaced", "距最近一次更换电能表的月数",
     "the electricity meter was replaced {value} months ago (a new meter number on the bills)",
     "{value}个月前更换过电能表（账单出现新表号）"),
    ("bill_gas_meter_replacements", "count", "high", "gas meter replacements (new meter ids)",
     "燃气表更换次数", "the gas meter was replaced {value} times", "燃气表更换过{value}次"),
    ("bill_gas_after_replacement_ratio", "ratio", "either",
     "gas per month after the last gas meter replacement over before it", "最近一次换燃气表后与换表前的月均用量之比",
     "gas use after the last gas meter replacement is {value} of before", "最近一次换燃气表后用量为换表前的{value}"),
    ("bill_reading_gap_max_months", "months", "high", "longest gap between two readings of one meter",
     "同一表计两次抄表之间的最长间隔（月）", "one meter went {value} months between two readings",
     "同一表计两次抄表相隔{value}个月"),
    ("bill_per_year", "count", "either", "bills per year since the first bill", "每年账单数",
     "{value} bills a year (peers {peer})", "每年{value}张账单（同类用户{peer}）"),
    ("bill_status_abnormal_share", "share", "high", "share of bills with a non-normal meter status",
     "表计状态异常的账单占比", "meter status abnormal on {value} of bills", "{value}的账单表计状态异常"),
    ("bill_status_abnormal_share_12m", "share", "high",
     "share of bills in the last 12 months with a non-normal meter status", "近12个月表计状态异常的账单占比",
     "meter status abnormal on {value} of bills in the last 12 months", "近12个月{value}的账单表计状态异常"),
    ("bill_remark_unusual_share", "share", "high",
     "share of bills whose reading remark is not the usual one (estimated, no access, ...)",
     "抄表备注非常规（估抄、未抄到等）的账单占比",
     "the reading was not a usual one on {value} of bills", "{value}的账单抄表备注异常（估抄、未抄到等）"),
    ("bill_remark_unusual_share_12m", "share", "high",
     "share of bills in the last 12 months with an unusual reading remark", "近12个月抄表备注异常的账单占比",
     "unusual reading remarks on {value} of bills in the last 12 months", "近12个月{value}的账单抄表备注异常"),
    ("bill_remark_kinds", "count", "high", "distinct reading remarks used", "出现过的抄表备注种类数",
     "the reader wrote {value} different reading remarks", "抄表员写过{value}种抄表备注"),
    ("bill_period_months_mean", "months", "high", "mean billing period length", "平均计费周期（月）",
     "billing periods last {value} months on average (peers {peer})", "平均计费周期{value}个月（同类用户{peer}个月）"),
    ("bill_long_period_share", "share", "high", "share of bills covering more months than usual",
     "计费周期长于通常周期的账单占比", "{value} of bills cover a longer period than usual",
     "{value}的账单计费周期长于通常"),
    ("bill_tier1_share", "share", "high", "share of energy billed in tier 1", "第一阶梯电量占比",
     "{value} of the energy is billed in tier 1 (peers {peer})", "第一阶梯电量占{value}（同类用户{peer}）"),
    ("bill_tier2_share", "share", "low", "share of energy billed in tier 2", "第二阶梯电量占比",
     "{value} of the energy is billed in tier 2 (peers {peer})", "第二阶梯电量占{value}（同类用户{peer}）"),
    ("bill_tier3_share", "share", "low", "share of energy billed in tier 3", "第三阶梯电量占比",
     "{value} of the energy is billed in tier 3 (peers {peer})", "第三阶梯电量占{value}（同类用户{peer}）"),
    ("bill_tier4_share", "share", "low", "share of energy billed in tier 4", "第四阶梯电量占比",
     "{value} of the energy is billed in tier 4 (peers {peer})", "第四阶梯电量占{value}（同类用户{peer}）"),
    ("bill_tier1_only_large_share", "share", "high",
     "share of bills with all energy in tier 1 although the monthly total is large",
     "电量较大却全部计入第一阶梯的账单占比",
     "all energy billed in tier 1 despite a large total on {value} of bills",
     "{value}的账单电量较大却全部计入第一阶梯"),
    ("bill_kwh_per_month", "kwh", "low", "billed kWh per month over all bills", "全部账单的月均结算电量",
     "billed {value} kWh per month (peers {peer})", "月均结算电量{value}千瓦时（同类用户{peer}）"),
    ("bill_kwh_per_month_12m", "kwh", "low", "billed kWh per month in the last 12 months",
     "近12个月月均结算电量", "billed {value} kWh per month in the last 12 months (peers {peer})",
     "近12个月月均结算电量{value}千瓦时（同类用户{peer}）"),
    ("bill_kwh_per_month_max", "kwh", "either", "highest kWh per month of one bill", "单张账单最高月均电量",
     "the highest bill was {value} kWh per month (peers {peer})", "单期最高月均电量{value}千瓦时（同类用户{peer}）"),
    ("bill_kwh_per_month_min", "kwh", "low", "lowest kWh per month of one bill", "单张账单最低月均电量",
     "the lowest bill was {value} kWh per month (peers {peer})", "单期最低月均电量{value}千瓦时（同类用户{peer}）"),
    ("bill_kwh_per_month_cv", "ratio", "high", "variation of kWh per month between bills (std / mean)",
     "各期月均电量的变异系数", "billed kWh per month swings by {value} between bills (std/mean; peers {peer})",
     "各期月均电量波动幅度{value}（标准差/均值；同类用户{peer}）"),
    ("bill_trend_last4", "ratio", "low", "kWh per month of the last 4 bills over the earlier bills",
     "最近4期月均电量与此前各期之比",
     "the last 4 periods billed {value} of the customer's earlier consumption",
     "最近4个抄表周期的电量为本户以往的{value}"),
    ("bill_trend_12m", "ratio", "low", "kWh per month in the last 12 months over the 12 months before",
     "近12个月与前12个月月均电量之比", "the last 12 months billed {value} of the kWh per month of the year before",
     "近12个月电量为上一年的{value}"),
    ("bill_zero_share", "share", "high", "share of bills with 0 kWh", "结算电量为0的账单占比",
     "{value} of the electricity bills are 0 kWh (peers {peer})", "{value}的电费账单结算电量为0（同类用户{peer}）"),
    ("bill_zero_last4", "count", "high", "bills with 0 kWh among the last 4", "最近4期中结算电量为0的期数",
     "billed 0 kWh for {value} of the last 4 periods", "最近4个抄表周期中有{value}个结算电量为0"),
    ("bill_zero_advancing_last4", "count", "high",
     "bills with 0 kWh among the last 4 while the index advanced", "最近4期中结算电量为0但表码走动的期数",
     "billed 0 kWh for {value} of the last 4 periods while the index advanced",
     "最近4个抄表周期中有{value}个结算电量为0，但表码仍在走"),
    ("bill_zero_advancing_count", "count", "high", "bills with 0 kWh while the index advanced",
     "结算电量为0但表码走动的账单数", "billed 0 kWh {value} times while the index advanced",
     "有{value}张账单结算电量为0但表码仍在走"),
    ("bill_gas_kwh_per_month", "kwh", "either", "gas consumption per month (same units as billed)",
     "月均燃气用量", "gas billed {value} per month (peers {peer})", "月均燃气用量{value}（同类用户{peer}）"),
    ("bill_gas_kwh_per_month_cv", "ratio", "high", "variation of gas per month between gas bills",
     "各期燃气月均用量的变异系数", "gas use varies by {value} between bills", "各期燃气用量波动幅度{value}"),
    ("bill_gas_zero_share", "share", "high", "share of gas bills with zero use", "燃气用量为0的账单占比",
     "{value} of gas bills are zero", "{value}的燃气账单用量为0"),
    ("bill_gas_trend_last4", "ratio", "low", "gas per month of the last 4 gas bills over the earlier ones",
     "最近4期燃气用量与此前之比", "the last 4 gas bills are {value} of earlier gas use",
     "最近4期燃气用量为以往的{value}"),
    ("bill_elec_vs_gas_trend", "ratio", "low", "electricity trend (last 4 vs history) over the gas trend",
     "电量趋势与燃气用量趋势之比",
     "electricity fell to {value} of what the gas trend of the same client suggests",
     "电量变化仅为同户燃气用量变化的{value}"),
    ("bill_multiplier_max", "ratio", "either", "largest multiplier on the bills", "账单最大倍率",
     "multiplier up to {value}", "倍率最高为{value}"),
    ("bill_multiplier_changes", "count", "high", "changes of the multiplier on one meter", "同一电能表倍率变更次数",
     "the multiplier changed {value} times", "倍率变更过{value}次"),
    ("bill_tariff_codes", "count", "high", "distinct tariff codes billed", "执行过的电价码种数",
     "billed under {value} different tariffs", "执行过{value}种电价"),
    ("bill_first_start_index", "kwh", "either",
     "start index of the customer's first electricity bill (what the meter showed when billing began)",
     "首张电费账单的起码（开始计费时表计示数）",
     "the first bill started at index {value} (peers {peer})", "首张账单起码为{value}（同类用户{peer}）"),
    ("bill_end_index_max", "kwh", "either", "highest end index on the electricity bills",
     "电费账单上的最大止码", "the electricity index reached {value} (peers {peer})",
     "电能表止码最高达到{value}（同类用户{peer}）"),
    ("bill_meter_model_count", "count", "high",
     "distinct meter model codes billed (all meters of the customer)", "账单上出现过的表计型号（表型代码）种数",
     "{value} different meter model codes on the bills (peers {peer})",
     "账单上出现过{value}种表计型号代码（同类用户{peer}种）"),
    ("bill_meter_model_changes", "count", "high",
     "times the meter model code changed on the same meter number", "同一表号的表计型号代码变更次数",
     "{value} changes of the meter model code under the same meter number",
     "同一表号下表计型号代码变更{value}次"),
    ("bill_tier3_max_kwh", "kwh", "either", "highest tier-3 energy of one electricity bill",
     "单张电费账单的最高第三阶梯电量", "one bill put {value} kWh in tier 3 (peers {peer})",
     "单张账单第三阶梯电量最高{value}千瓦时（同类用户{peer}）"),
    ("bill_first_bill_after_connection_months", "months", "either",
     "months from the connection date to the first bill", "从立户日期到首张账单的月数",
     "the first bill came {value} months after the connection date",
     "立户{value}个月后才有首张账单"),
    ("bill_gas_count", "count", "either", "number of gas bills", "燃气账单数",
     "{value} gas bills on record (peers {peer})", "共有{value}张燃气账单（同类用户{peer}张）"),
]

for _name, _unit, _risky, _men, _mzh, _ren, _rzh in _FEATURES:
    register(FeatureSpec(_name, FAMILY, _men, _mzh, _unit, _risky, _ren, _rzh))

FEATURE_NAMES = [f[0] for f in _FEATURES]


def _column(bills: pd.DataFrame, name: str, default=np.nan) -> pd.Series:
    if name in bills.columns:
        return bills[name]
    return pd.Series(default, index=bills.index)


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den with NaN (not inf, not 0) where the denominator is 0 or unknown."""
    den = den.where(den != 0)
    return num / den


def _codes(text: pd.Series) -> np.ndarray:
    """Integer codes in the sort order of the values (-1 where missing): cheap keys to group on."""
    return pd.factorize(text, sort=True)[0]


def _numbers(bills: pd.DataFrame, name: str, default=np.nan) -> np.ndarray:
    return pd.to_numeric(_column(bills, name, default), errors="coerce").astype(float).to_numpy()


def _where(condition: np.ndarray, values, otherwise=np.nan) -> np.ndarray:
    """``values`` (as float) where ``condition``, else NaN: pandas' ``where`` on plain arrays."""
    return np.where(condition, np.asarray(values, dtype=float), otherwise)


def _prepare(
    bills: pd.DataFrame, as_of_end: pd.Timestamp
) -> tuple[pd.DataFrame, pd.Index, dict[str, pd.Index]]:
    """One tidy row per bill with the per-bill audit flags; the customer ids; the code labels.

    Rows are sorted by customer, meter and reading date. Text becomes integer codes in the sort
    order of its values (``cust`` is the position in the returned, sorted customer ids; ``status``
    and ``remark`` index the returned labels, -1 where missing): every groupby below then runs on
    integers, not on strings, which is most of the cost of a small bucket.
    """
    cust, ids = pd.factorize(bills["customer_id"].astype(str), sort=True)
    meter = _codes(_column(bills, "meter_id", "").astype("str").fillna(""))
    read_date = pd.to_datetime(bills["read_date"]).to_numpy()
    order = np.lexsort((read_date, meter, cust))  # stable: ties keep the table's order
    cust, meter, read_date = cust[order], meter[order], read_date[order]
    start = _numbers(bills, "start_reading")[order]
    end = _numbers(bills, "end_reading")[order]
    mult = _numbers(bills, "multiplier", 1.0)[order]
    mult = np.where(np.isnan(mult), 1.0, mult)
    period = _numbers(bills, "period_months", 1)[order]
    period = np.maximum(np.where(np.isnan(period), 1.0, period), 1.0)
    kwh = pd.to_numeric(bills["kwh_billed"], errors="coerce").astype(float).to_numpy()[order]
    meter_type = _column(bills, "meter_type", "electricity").astype("str").fillna("electricity")
    labels = {}
    text = {}
    for kind, column in (("status", "meter_status"), ("remark", "reading_remark")):
        codes, labels[kind] = pd.factorize(_column(bills, column).astype("str"), sort=True)
        text[kind] = codes[order]
    tariff = _codes(_column(bills, "tariff_code", "").astype("str"))[order]
    model = _codes(_column(bills, "meter_model").astype("str"))[order]  # -1: no model code

    has_index = ~np.isnan(start) & ~np.isnan(end)
    expected = (end - start) * mult
    gap = np.abs(kwh - expected)
    tolerance = np.maximum(MISMATCH_TOLERANCE_KWH, MISMATCH_TOLERANCE_SHARE * np.abs(expected))
    mismatch = _where(has_index, gap > tolerance)
    same_meter = np.r_[False, (cust[1:] == cust[:-1]) & (meter[1:] == meter[:-1])]
    previous_end = _where(same_meter, np.r_[np.nan, end[:-1]])
    previous_mult = _where(same_meter, np.r_[np.nan, mult[:-1]])
    previous_model = np.where(same_meter, np.r_[-1, model[:-1]], -1)
    unbilled = (start - previous_end) * mult
    recent = read_date > (as_of_end - pd.Timedelta(days=RECENT_DAYS)).to_datetime64()
    b = pd.DataFrame(
        {
            "cust": cust,
            "meter": meter,
            "read_date": read_date,
            "period": period,
            "kwh": kwh,
            "kpm": kwh / period,
            "start": start,
            "end": end,
            "mult": mult,
            "gas": (meter_type == "gas").to_numpy()[order],
            **{f"tier{i}": _numbers(bills, f"kwh_tier_{i}")[order] for i in range(1, 5)},
            "tariff": np.where(tariff >= 0, tariff, np.nan),  # NaN: not counted by nunique
            "model": np.where(model >= 0, model, np.nan),
            "model_change": _where((previous_model >= 0) & (model >= 0), model != previous_model),
            "status": text["status"],
            "remark": text["remark"],
            "remark_code": np.where(text["remark"] >= 0, text["remark"], np.nan),
            "has_index": has_index.astype(float),
            "expected": _where(has_index, expected),
            "mismatch": mismatch,
            "mismatch_gap": _where(mismatch == 1, gap),
            "backwards": _where(has_index, end < start),
            "repeat": _where(has_index, end == start),
            "zero": _where(~np.isnan(kwh), kwh == 0),
            "zero_advancing": ((kwh == 0) & (end > start)).astype(float),
            "same_meter": same_meter,
            "chain_break": _where(~np.isnan(previous_end) & ~np.isnan(start), start != previous_end),
            # clip at 0 the way pandas does: negatives become 0, NaN stays
            "unbilled_gap": _where(~np.isnan(previous_end), np.where(unbilled < 0, 0.0, unbilled)),
            "mult_change": _where(~np.isnan(previous_mult), mult != previous_mult),
            "recent": recent,
            "prev_year": ~recent
            & (read_date > (as_of_end - pd.Timedelta(days=2 * RECENT_DAYS)).to_datetime64()),
        }
    )
    return b, pd.Index(ids, name="customer_id"), labels


def _last_periods(frame: pd.DataFrame, n: int) -> pd.Series:
    """True for each customer's last ``n`` bills by reading date (over the meters in ``frame``)."""
    order = frame.sort_values(["cust", "read_date"], kind="stable")
    rank = order.groupby("cust", sort=False).cumcount(ascending=False)
    return (rank < n).reindex(frame.index)


def _sum(frame: pd.DataFrame, column: str, n: int, rows=None, min_count: int = 1) -> pd.Series:
    """Per customer (position ``cust`` < n) sum of a column over ``rows``, NaN skipped, in row order.

    ``np.bincount`` adds each customer's values one after the other, whatever other customers
    hold. pandas 3 picks its summation from the whole column (``ufunc.reduceat`` when it has no
    NaN, a compensated sum otherwise), so a bucket without NaN and the whole company with one
    could differ in the last digit. Below ``min_count`` values: NaN.
    """
    values = frame[column].to_numpy(dtype=float)
    cust = frame["cust"].to_numpy()
    if rows is not None:
        rows = np.asarray(rows, dtype=bool)
        values, cust = values[rows], cust[rows]
    known = ~np.isnan(values)
    total = np.bincount(cust, np.where(known, values, 0.0), minlength=n)
    if min_count:
        total = np.where(np.bincount(cust, known, minlength=n) >= min_count, total, np.nan)
    return pd.Series(total)


def _mean(frame: pd.DataFrame, column: str, n: int) -> pd.Series:
    """Per customer mean over known values (NaN without any), added like ``_sum``."""
    known = frame[column].notna().astype(float).to_frame("known").assign(cust=frame["cust"])
    return _ratio(_sum(frame, column, n, min_count=0), _sum(known, "known", n, min_count=0))


def _consumption(e: pd.DataFrame, n: int, prefix: str = "") -> pd.DataFrame:
    """kWh per month level and trends over one set of meters (electricity or gas), rows ``cust``."""
    last = _last_periods(e, LAST_PERIODS).to_numpy()

    def per_month(rows=None) -> pd.Series:
        return _ratio(_sum(e, "kwh", n, rows), _sum(e, "period", n, rows))

    index = pd.RangeIndex(n)
    g = e.groupby("cust", sort=False)
    out = pd.DataFrame(index=index)
    out["kpm"] = per_month()
    out["trend_last4"] = _ratio(per_month(last), per_month(~last))
    stats = g["kpm"].agg(["max", "min", "std", "median"]).reindex(index)  # exact whatever the path
    out["kpm_cv"] = _ratio(stats["std"], _mean(e, "kpm", n))
    out["zero_share"] = g["zero"].mean()  # 0/1 values: exact whatever the path
    if prefix:
        return out
    out["kpm_12m"] = per_month(e["recent"])
    out["trend_12m"] = _ratio(out["kpm_12m"], per_month(e["prev_year"]))
    out["kpm_max"] = stats["max"]
    out["kpm_min"] = stats["min"]
    median = stats["median"].reindex(e["cust"]).to_numpy()
    spike = (e["kpm"] > SPIKE_FACTOR * median) & (e["kpm"] > 0)
    out["spikes"] = spike.groupby(e["cust"], sort=False).sum().astype(float)
    last_rows = e[last].groupby("cust", sort=False)
    out["zero_last4"] = last_rows["zero"].sum(min_count=1)
    out["zero_adv_last4"] = last_rows["zero_advancing"].sum()
    tiers = pd.DataFrame({f"tier{i}": _sum(e, f"tier{i}", n) for i in range(1, 5)})
    tier_total = tiers.sum(axis=1, min_count=1)
    for i in range(1, 5):
        out[f"tier{i}_share"] = _ratio(tiers[f"tier{i}"], tier_total)
    out["zero_adv_count"] = g["zero_advancing"].sum()
    return out


def _index_levels(e: pd.DataFrame, n: int) -> dict[str, pd.Series]:
    """Where the electricity index stood: at the first bill (by date), at its highest; and the
    largest tier-3 energy of one bill. A meter's index is its odometer: a first bill far above 0
    is an old meter taken over, a high maximum a meter that has counted for long."""
    index = pd.RangeIndex(n)
    by_date = e.sort_values(["cust", "read_date"], kind="stable")
    return {
        "bill_first_start_index": by_date.groupby("cust", sort=False)["start"].first().reindex(index),
        "bill_end_index_max": e.groupby("cust", sort=False)["end"].max().reindex(index),
        "bill_tier3_max_kwh": e.groupby("cust", sort=False)["tier3"].max().reindex(index),
    }


def _months_after_connection(first_bill: pd.Series, ids: pd.Index, customers: pd.DataFrame) -> pd.Series:
    """Months from the customer's connection date to its first bill (NaN without a date).

    ``first_bill`` is indexed by the customer's position in ``ids``."""
    if "connect_date" not in customers.columns:
        return pd.Series(np.nan, index=first_bill.index)
    connected = pd.to_datetime(customers.set_index(customers["customer_id"].astype(str))["connect_date"])
    connected = connected.reindex(ids).to_numpy()
    days = (first_bill.sort_index().to_numpy() - connected) / np.timedelta64(1, "D")
    return pd.Series(days / 30.4375, index=first_bill.sort_index().index)


def _longest_gap(b: pd.DataFrame) -> pd.Series:
    """Longest time between consecutive readings of one meter, in months (b sorted by meter, date)."""
    gap = (b["read_date"] - b["read_date"].shift()).dt.days.where(b["same_meter"]) / 30.4375
    return gap.groupby(b["cust"], sort=False).max()


def _replacements(e: pd.DataFrame, n: int) -> pd.DataFrame:
    """Meter replacements on electricity meters and consumption after the last one vs before."""
    first_seen = e.groupby(["cust", "meter"], sort=False)["read_date"].min().reset_index()
    per_customer = first_seen.groupby("cust", sort=False)["read_date"].agg(["count", "max"])
    out = pd.DataFrame(index=pd.RangeIndex(n))
    out["replacements"] = (per_customer["count"] - 1).astype(float)
    out["switch_date"] = per_customer["max"].where(per_customer["count"] > 1)
    switch = out["switch_date"].reindex(e["cust"]).to_numpy()
    after = e["read_date"].to_numpy() >= switch
    before = e["read_date"].to_numpy() < switch
    # a customer without a switch has no rows either side: 0 months, hence NaN ratios
    out["after_ratio"] = _ratio(
        _ratio(_sum(e, "kwh", n, after, min_count=0), _sum(e, "period", n, after, min_count=0)),
        _ratio(_sum(e, "kwh", n, before, min_count=0), _sum(e, "period", n, before, min_count=0)),
    )
    return out


# ---------------------------------------------------------------- features against company norms
# Four features compare a bill with the whole company: a status or remark is unusual when it is
# neither a normal word nor the code most bills of the company carry (code books differ between
# utilities -- STEG writes numbers -- so the usual code is taken as normal; ties go to the
# smallest code, never to row order); a period is long when it
# is longer than the company's median period; a bill is "large" when its kWh/month is above the
# median of the bills that reach tier 2. Inside one bucket of customers those norms would
# describe the bucket, so (``groups.py``) each customer hands over small summaries of its bills
# -- code counts, period counts, kWh/month of the relevant bills, as arrays in object columns --
# and ``bills_group_features`` takes the norms over everyone in pass 2.
NORM_FEATURES = (
    "bill_status_abnormal_share",
    "bill_status_abnormal_share_12m",
    "bill_remark_unusual_share",
    "bill_remark_unusual_share_12m",
    "bill_long_period_share",
    "bill_tier1_only_large_share",
)
CODE_KINDS = {"status": "bill_status_abnormal_share", "remark": "bill_remark_unusual_share"}
CODE_INPUTS = {
    kind: tuple(group_input(f"bill_{kind}_{part}") for part in ("codes", "bills", "bills_12m"))
    for kind in CODE_KINDS
}
PERIOD_INPUTS = (group_input("bill_periods"), group_input("bill_period_bills"))
TIER_INPUTS = (
    group_input("bill_tier2_kpm"),  # kWh/month of each bill reaching tier 2
    group_input("bill_tier2_bills"),  # bills reaching tier 2 (also those without a kWh/month)
    group_input("bill_tier1_only_kpm"),  # kWh/month of each bill with energy in tier 1 only
    group_input("bill_tier1_bills"),  # electricity bills with a tier-1 value
)
NORM_INPUTS = (*CODE_INPUTS["status"], *CODE_INPUTS["remark"], *PERIOD_INPUTS, *TIER_INPUTS)


def _arrays_per_customer(
    cust: np.ndarray, columns: dict[str, np.ndarray], n_customers: int
) -> dict[str, np.ndarray]:
    """Each customer's values of every column as one array per cell, NaN without values (``cust`` sorted)."""
    out = {}
    starts = np.flatnonzero(np.r_[True, cust[1:] != cust[:-1]]) if len(cust) else np.array([], dtype=int)
    for name, values in columns.items():
        cells = np.full(n_customers, np.nan, dtype=object)
        if len(starts):
            cells[cust[starts]] = np.fromiter(np.split(values, starts[1:]), dtype=object, count=len(starts))
        out[name] = cells
    return out


def _pair_counts(cust: np.ndarray, code: np.ndarray, recent: np.ndarray) -> tuple[np.ndarray, ...]:
    """Distinct (customer, code) pairs, sorted, with their bills: all, and in the last 12 months."""
    width = int(code.max()) + 1 if len(code) else 1
    pairs, inverse = np.unique(cust.astype(np.int64) * width + code, return_inverse=True)
    bills = np.bincount(inverse, minlength=len(pairs)).astype(float)
    return pairs // width, pairs % width, bills, np.bincount(inverse, recent, minlength=len(pairs))


def _norm_inputs(b: pd.DataFrame, labels: dict[str, pd.Index], n_customers: int) -> pd.DataFrame:
    """Every customer's summaries for the norm features (see NORM_FEATURES), indexed by ``cust``.

    Status and remark: the distinct known codes (blank counts as unknown, like missing) and the
    bills with each, all and in the last 12 months. Periods: the distinct lengths and their bills.
    Tiers: kWh/month of each bill reaching tier 2 and of each with tier-1 energy only.
    """
    cust = b["cust"].to_numpy()
    recent = b["recent"].to_numpy(dtype=float)
    inputs: dict[str, np.ndarray] = {}
    for kind, names in CODE_INPUTS.items():
        code = b[kind].to_numpy()
        known = code >= 0
        if len(labels[kind]):
            known &= np.asarray(labels[kind].str.strip() != "")[np.maximum(code, 0)]
        owner, which, bills, bills_12m = _pair_counts(cust[known], code[known], recent[known])
        text = labels[kind].to_numpy(dtype=object)[which]
        inputs |= _arrays_per_customer(
            owner, {names[0]: text, names[1]: bills, names[2]: bills_12m}, n_customers
        )
    length_code, lengths = pd.factorize(b["period"], sort=True)
    owner, which, bills, _ = _pair_counts(cust, length_code, recent)
    periods = {PERIOD_INPUTS[0]: np.asarray(lengths, dtype=float)[which], PERIOD_INPUTS[1]: bills}
    inputs |= _arrays_per_customer(owner, periods, n_customers)
    e = b[~b["gas"]]
    e_cust, kpm, tier1 = e["cust"].to_numpy(), e["kpm"].to_numpy(), e["tier1"].to_numpy()
    reaching = (e["tier2"] > 0).to_numpy()
    only1 = (tier1 > 0) & (e[["tier2", "tier3", "tier4"]].fillna(0).sum(axis=1) == 0).to_numpy()
    for name, rows in ((TIER_INPUTS[0], reaching), (TIER_INPUTS[2], only1)):
        rows = rows & ~np.isnan(kpm)
        inputs |= _arrays_per_customer(e_cust[rows], {name: kpm[rows]}, n_customers)
    inputs[TIER_INPUTS[1]] = np.bincount(e_cust, reaching, minlength=n_customers)
    inputs[TIER_INPUTS[3]] = np.bincount(e_cust, ~np.isnan(tier1), minlength=n_customers)
    return pd.DataFrame(inputs)[list(NORM_INPUTS)]


def _exploded(frame: pd.DataFrame, columns: tuple[str, ...]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The arrays of ``columns`` laid end to end, with the row position in ``frame`` of each value.

    The cells of one row hold arrays of the same length (NaN where the customer has none).
    """
    first = frame[columns[0]].reset_index(drop=True).explode()
    present = first.notna().to_numpy()
    rows = first.index.to_numpy(dtype=np.intp)[present]
    values = [first.to_numpy()[present]]
    for column in columns[1:]:
        values.append(frame[column].reset_index(drop=True).explode().to_numpy()[present])
    return rows, values


def _shares(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    return _ratio(pd.Series(numerator), pd.Series(denominator)).to_numpy()


def usual_code(codes: pd.Series, bills: np.ndarray) -> str:
    """The code most bills carry (ties: the smallest code, so any split of the bills agrees)."""
    totals = pd.Series(bills).groupby(codes.to_numpy()).sum()
    return min(totals.index[(totals == totals.max()).to_numpy()])


def norm_features(frame: pd.DataFrame) -> pd.DataFrame:
    """The NORM_FEATURES of every row of ``frame`` from its NORM_INPUTS, norms taken over all rows.

    Counts of bills are added as integers in float64 (exact), so the shares do not depend on the
    order of the rows or how they were split into buckets.
    """
    n = len(frame)
    out = pd.DataFrame(index=frame.index)
    for kind, feature in CODE_KINDS.items():
        rows, (codes, bills, recent) = _exploded(frame, CODE_INPUTS[kind])
        if len(rows) == 0:
            out[feature] = out[f"{feature}_12m"] = np.nan
            continue
        codes = pd.Series(codes, dtype="str")
        bills, recent = bills.astype(float), recent.astype(float)
        mode = usual_code(codes, bills)
        unusual = ~(codes.str.strip().str.lower().isin(NORMAL_CODES) | (codes == mode)).to_numpy()
        out[feature] = _shares(
            np.bincount(rows, bills * unusual, minlength=n), np.bincount(rows, bills, minlength=n)
        )
        out[f"{feature}_12m"] = _shares(
            np.bincount(rows, recent * unusual, minlength=n), np.bincount(rows, recent, minlength=n)
        )
    rows, (length, bills) = _exploded(frame, PERIOD_INPUTS)
    length, bills = length.astype(float), bills.astype(float)
    usual_period = pd.Series(np.repeat(length, bills.astype(np.int64))).median()
    out["bill_long_period_share"] = _shares(
        np.bincount(rows, bills * (length > usual_period), minlength=n), np.bincount(rows, bills, minlength=n)
    )
    out["bill_tier1_only_large_share"] = np.nan
    if np.nansum(frame[TIER_INPUTS[1]].to_numpy(dtype=float)) > 0:
        _, (reaching,) = _exploded(frame, TIER_INPUTS[:1])
        large = pd.Series(reaching.astype(float)).quantile(LOW_TIER_ONLY_QUANTILE)
        rows, (only1,) = _exploded(frame, TIER_INPUTS[2:3])
        flagged = np.bincount(rows, only1.astype(float) > large, minlength=n)
        out["bill_tier1_only_large_share"] = _shares(flagged, frame[TIER_INPUTS[3]].to_numpy(dtype=float))
    return out[list(NORM_FEATURES)]


def bills_group_features(frame: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame | None:
    """Pass 2: the norm features over every customer (``frame`` holds everyone's NORM_INPUTS)."""
    if NORM_INPUTS[0] not in frame.columns:
        return None
    return norm_features(frame)


def bills_features(ctx: FeatureContext) -> pd.DataFrame | None:
    """Billing-record audit features as of ``ctx.as_of`` (see the module docstring).

    With ``ctx.group_pass`` the NORM_FEATURES are left NaN and their NORM_INPUTS returned after
    the features, for pass 2 to fill over every customer.
    """
    bills = ctx.table("bills")
    if bills is None or bills.empty:
        return None
    b, ids, labels = _prepare(bills, ctx.as_of_end)
    g = b.groupby("cust", sort=False)
    n = len(ids)
    index = pd.RangeIndex(n)  # ``cust``: the customer's position in ``ids``
    count = g.size().astype(float)
    first, last = g["read_date"].min(), g["read_date"].max()
    tenure = (ctx.as_of_end - first).dt.days / 30.4375
    with_index = b["has_index"] == 1
    gaps = _sum(b, "unbilled_gap", n)
    gas_meters = b[b["gas"]].groupby("cust")["meter"].nunique().reindex(index).fillna(0.0)
    f = {
        "bill_count": count,
        "bill_meter_count": g["meter"].nunique().astype(float),
        "bill_gas_meter_count": gas_meters,
        "bill_tenure_months": tenure,
        "bill_months_since_last": (ctx.as_of_end - last).dt.days / 30.4375,
        "bill_per_year": _ratio(count, tenure / 12),
        "bill_reading_gap_max_months": _longest_gap(b),
        "bill_identity_mismatch_share": g["mismatch"].mean(),
        "bill_identity_mismatch_kwh": _mean(b, "mismatch_gap", n),
        "bill_billed_to_index_ratio": _ratio(
            _sum(b, "kwh", n, with_index, min_count=0), _sum(b, "expected", n, with_index, min_count=0)
        ),
        "bill_index_backwards_count": g["backwards"].sum(min_count=1),
        "bill_index_repeat_share": g["repeat"].mean(),
        "bill_index_chain_break_share": g["chain_break"].mean(),
        "bill_unbilled_gap_share": _ratio(gaps, gaps + _sum(b, "kwh", n)),
        "bill_remark_kinds": g["remark_code"].nunique().astype(float),
        "bill_period_months_mean": _mean(b, "period", n),
        "bill_multiplier_max": g["mult"].max(),
        "bill_multiplier_changes": g["mult_change"].sum(min_count=1),
        "bill_tariff_codes": g["tariff"].nunique().astype(float),
        "bill_meter_model_count": g["model"].nunique().astype(float).where(g["model"].count() > 0),
        "bill_meter_model_changes": g["model_change"].sum(min_count=1),
        "bill_first_bill_after_connection_months": _months_after_connection(first, ids, ctx.customers),
    }
    elec = b[~b["gas"]]
    cons = _consumption(elec, n)
    repl = _replacements(elec, n)
    f |= {
        "bill_spike_count": cons["spikes"],
        "bill_meter_replacements": repl["replacements"],
        "bill_after_replacement_ratio": repl["after_ratio"],
        "bill_months_since_replacement": (ctx.as_of_end - repl["switch_date"]).dt.days / 30.4375,
        **{f"bill_tier{i}_share": cons[f"tier{i}_share"] for i in range(1, 5)},
        "bill_kwh_per_month": cons["kpm"],
        "bill_kwh_per_month_12m": cons["kpm_12m"],
        "bill_kwh_per_month_max": cons["kpm_max"],
        "bill_kwh_per_month_min": cons["kpm_min"],
        "bill_kwh_per_month_cv": cons["kpm_cv"],
        "bill_trend_last4": cons["trend_last4"],
        "bill_trend_12m": cons["trend_12m"],
        "bill_zero_share": cons["zero_share"],
        "bill_zero_last4": cons["zero_last4"],
        "bill_zero_advancing_last4": cons["zero_adv_last4"],
        "bill_zero_advancing_count": cons["zero_adv_count"],
        **_index_levels(elec, n),
    }
    gas = b[b["gas"]]
    if len(gas):
        gas_cons = _consumption(gas, n, prefix="gas")
        gas_repl = _replacements(gas, n)
        f |= {
            "bill_gas_kwh_per_month": gas_cons["kpm"],
            "bill_gas_trend_last4": gas_cons["trend_last4"],
            "bill_gas_kwh_per_month_cv": gas_cons["kpm_cv"],
            "bill_gas_zero_share": gas_cons["zero_share"],
            "bill_elec_vs_gas_trend": _ratio(cons["trend_last4"], gas_cons["trend_last4"]),
            "bill_gas_meter_replacements": gas_repl["replacements"],
            "bill_gas_count": gas.groupby("cust", sort=False).size().reindex(index).astype(float),
            "bill_gas_after_replacement_ratio": gas_repl["after_ratio"],
        }
    inputs = _norm_inputs(b, labels, n)
    if not ctx.group_pass:
        f |= dict(norm_features(inputs).items())
    # absent names (gas features without gas bills; norm features left to pass 2) are NaN
    out = pd.DataFrame({name: f.get(name, np.nan) for name in FEATURE_NAMES}, index=index).astype(float)
    if ctx.group_pass:  # the company norms are taken over everyone in pass 2 (groups.py)
        out = pd.concat([out, inputs], axis=1)
    return out.set_axis(pd.Index(ids, name="customer_id"))
