"""Feature family: bills -- the classic meter-reading audit checks, per customer.

What an auditor checks on 抄表电费 records: does the billed energy equal (end - start) x
multiplier; does the index go backwards, stand still or break its chain; was the meter
replaced and did consumption change afterwards; were readings estimated or the meter status
abnormal; were periods longer than usual; is all energy in the first tier despite a large
total; did consumption fall in the last periods against the customer's own history; were
periods billed 0 kWh while the index advanced. Consumption features use electricity meters
(bills without a ``meter_type`` column count as electricity); a client's gas meters (STEG) give
the gas trend that the electricity trend is compared with.

Input: ``ctx.tables["bills"]``, already cut at the as-of month. Output: one row per customer
with bills; NaN where a value is unknown (never 0). Vectorised: groupby aggregations only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .context import FeatureContext
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
     "{value} bills on record", "共有{value}张抄表账单"),
    ("bill_meter_count", "count", "high", "number of meters billed", "计费电能表数量",
     "{value} meters billed (peers {peer})", "计费电能表{value}块（同类用户{peer}块）"),
    ("bill_gas_meter_count", "count", "either", "number of gas meters of the client", "燃气表数量",
     "{value} gas meters", "燃气表{value}块"),
    ("bill_tenure_months", "months", "either", "months since the first bill", "自首张账单以来的月数",
     "first bill {value} months ago", "首张账单在{value}个月前"),
    ("bill_months_since_last", "months", "high", "months since the last bill", "距最近一次账单的月数",
     "no bill for {value} months", "已有{value}个月没有账单"),
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
     "{value} bills jump above 5 times the usual consumption", "有{value}张账单电量突增至平时的5倍以上"),
    ("bill_meter_replacements", "count", "high", "electricity meter replacements (new meter ids)",
     "电能表更换次数（出现新表号）", "the meter was replaced {value} times", "电能表更换过{value}次"),
    ("bill_after_replacement_ratio", "ratio", "either",
     "kWh per month after the last meter replacement over before it", "最近一次换表后与换表前的月均电量之比",
     "consumption after the last meter replacement is {value} of before",
     "最近一次换表后电量为换表前的{value}"),
    ("bill_months_since_replacement", "months", "either",
     "months since the electricity meter was last replaced", "距最近一次更换电能表的月数",
     "the meter was replaced {value} months ago", "{value}个月前更换过电能表"),
    ("bill_gas_meter_replacements", "count", "high", "gas meter replacements (new meter ids)",
     "燃气表更换次数", "the gas meter was replaced {value} times", "燃气表更换过{value}次"),
    ("bill_gas_after_replacement_ratio", "ratio", "either",
     "gas per month after the last gas meter replacement over before it", "最近一次换燃气表后与换表前的月均用量之比",
     "gas use after the last gas meter replacement is {value} of before", "最近一次换燃气表后用量为换表前的{value}"),
    ("bill_reading_gap_max_months", "months", "high", "longest gap between two readings of one meter",
     "同一表计两次抄表之间的最长间隔（月）", "the meter went {value} months without a reading",
     "有{value}个月未抄表"),
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
     "{value} different reading remarks", "出现过{value}种抄表备注"),
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
     "{value} of the energy is billed in tier 3", "第三阶梯电量占{value}"),
    ("bill_tier4_share", "share", "low", "share of energy billed in tier 4", "第四阶梯电量占比",
     "{value} of the energy is billed in tier 4", "第四阶梯电量占{value}"),
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
     "highest bill {value} kWh per month", "单期最高月均电量{value}千瓦时"),
    ("bill_kwh_per_month_min", "kwh", "low", "lowest kWh per month of one bill", "单张账单最低月均电量",
     "lowest bill {value} kWh per month", "单期最低月均电量{value}千瓦时"),
    ("bill_kwh_per_month_cv", "ratio", "high", "variation of kWh per month between bills (std / mean)",
     "各期月均电量的变异系数", "consumption varies by {value} between bills", "各期电量波动幅度{value}"),
    ("bill_trend_last4", "ratio", "low", "kWh per month of the last 4 bills over the earlier bills",
     "最近4期月均电量与此前各期之比",
     "the last 4 periods billed {value} of the customer's earlier consumption",
     "最近4个抄表周期的电量为本户以往的{value}"),
    ("bill_trend_12m", "ratio", "low", "kWh per month in the last 12 months over the 12 months before",
     "近12个月与前12个月月均电量之比", "the last 12 months billed {value} of the year before",
     "近12个月电量为上一年的{value}"),
    ("bill_zero_share", "share", "high", "share of bills with 0 kWh", "结算电量为0的账单占比",
     "{value} of bills are 0 kWh", "{value}的账单结算电量为0"),
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
     "月均燃气用量", "gas use {value} per month", "月均燃气用量{value}"),
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


def _prepare(bills: pd.DataFrame, as_of_end: pd.Timestamp) -> pd.DataFrame:
    """One tidy row per bill with the per-bill audit flags the aggregates need."""
    start = pd.to_numeric(_column(bills, "start_reading"), errors="coerce").astype(float)
    end = pd.to_numeric(_column(bills, "end_reading"), errors="coerce").astype(float)
    mult = pd.to_numeric(_column(bills, "multiplier", 1.0), errors="coerce").astype(float).fillna(1.0)
    period = pd.to_numeric(_column(bills, "period_months", 1), errors="coerce").astype(float)
    period = period.fillna(1.0).clip(lower=1.0)
    kwh = pd.to_numeric(bills["kwh_billed"], errors="coerce").astype(float)
    meter_type = _column(bills, "meter_type", "electricity").astype("str").fillna("electricity")
    b = pd.DataFrame(
        {
            "customer_id": bills["customer_id"].astype(str),
            "meter_id": _column(bills, "meter_id", "").astype("str").fillna(""),
            "read_date": pd.to_datetime(bills["read_date"]),
            "period": period,
            "kwh": kwh,
            "kpm": kwh / period,
            "start": start,
            "end": end,
            "mult": mult,
            "gas": (meter_type == "gas").to_numpy(),
        }
    )
    for i in range(1, 5):
        b[f"tier{i}"] = pd.to_numeric(_column(bills, f"kwh_tier_{i}"), errors="coerce").astype(float)
    b["tariff"] = _column(bills, "tariff_code", "").astype("str").to_numpy()
    b["status"] = _column(bills, "meter_status").astype("str").to_numpy()
    b["remark"] = _column(bills, "reading_remark").astype("str").to_numpy()
    b = b.sort_values(["customer_id", "meter_id", "read_date"], kind="stable").reset_index(drop=True)
    has_index = b["start"].notna() & b["end"].notna()
    expected = (b["end"] - b["start"]) * b["mult"]
    gap = (b["kwh"] - expected).abs()
    tolerance = np.maximum(MISMATCH_TOLERANCE_KWH, MISMATCH_TOLERANCE_SHARE * expected.abs())
    b["has_index"] = has_index.astype(float)
    b["expected"] = expected.where(has_index)
    b["mismatch"] = (gap > tolerance).where(has_index).astype(float)
    b["mismatch_gap"] = gap.where(b["mismatch"] == 1)
    b["backwards"] = (b["end"] < b["start"]).where(has_index).astype(float)
    b["repeat"] = (b["end"] == b["start"]).where(has_index).astype(float)
    b["zero"] = (b["kwh"] == 0).where(b["kwh"].notna()).astype(float)
    b["zero_advancing"] = ((b["kwh"] == 0) & (b["end"] > b["start"])).astype(float)
    same_meter = b[["customer_id", "meter_id"]].eq(b[["customer_id", "meter_id"]].shift()).all(axis=1)
    b["same_meter"] = same_meter
    previous_end = b["end"].shift().where(same_meter)
    b["chain_break"] = (b["start"] != previous_end).where(previous_end.notna() & b["start"].notna()).astype(float)
    b["unbilled_gap"] = ((b["start"] - previous_end) * b["mult"]).clip(lower=0).where(previous_end.notna())
    previous_mult = b["mult"].shift().where(same_meter)
    b["mult_change"] = (b["mult"] != previous_mult).where(previous_mult.notna()).astype(float)
    b["recent"] = b["read_date"] > as_of_end - pd.Timedelta(days=RECENT_DAYS)
    b["prev_year"] = (~b["recent"]) & (b["read_date"] > as_of_end - pd.Timedelta(days=2 * RECENT_DAYS))
    b["status_abnormal"] = _unusual(b["status"])
    b["remark_unusual"] = _unusual(b["remark"])
    return b


def _unusual(text: pd.Series) -> pd.Series:
    """1 where a status/remark code is neither a normal word nor the most common code, NaN if unknown.

    Code books differ between utilities (STEG writes numbers); the code most bills carry is taken
    as the normal one, together with the usual words for normal.
    """
    known = text.notna() & (text.str.strip() != "")
    if not known.any():
        return pd.Series(np.nan, index=text.index)
    mode = text[known].value_counts().index[0]
    normal = text.str.strip().str.lower().isin(NORMAL_CODES) | (text == mode)
    return (~normal).astype(float).where(known)


def _last_periods(frame: pd.DataFrame, n: int) -> pd.Series:
    """True for each customer's last ``n`` bills by reading date (over the meters in ``frame``)."""
    order = frame.sort_values(["customer_id", "read_date"], kind="stable")
    rank = order.groupby("customer_id", sort=False).cumcount(ascending=False)
    return (rank < n).reindex(frame.index)


def _consumption(e: pd.DataFrame, prefix: str = "") -> pd.DataFrame:
    """kWh per month level and trends over one set of meters (electricity or gas)."""
    last = _last_periods(e, LAST_PERIODS)
    g = e.groupby("customer_id", sort=False)
    sums = g[["kwh", "period"]].sum(min_count=1)
    out = pd.DataFrame(index=sums.index)
    out["kpm"] = _ratio(sums["kwh"], sums["period"])
    lastsum = e[last].groupby("customer_id", sort=False)[["kwh", "period"]].sum(min_count=1)
    histsum = e[~last].groupby("customer_id", sort=False)[["kwh", "period"]].sum(min_count=1)
    out["trend_last4"] = _ratio(
        _ratio(lastsum["kwh"], lastsum["period"]).reindex(out.index),
        _ratio(histsum["kwh"], histsum["period"]).reindex(out.index),
    )
    stats = g["kpm"].agg(["max", "min", "mean", "std", "median"])
    out["kpm_cv"] = _ratio(stats["std"], stats["mean"])
    out["zero_share"] = g["zero"].mean()
    if prefix:
        return out
    recent = e[e["recent"]].groupby("customer_id", sort=False)[["kwh", "period"]].sum(min_count=1)
    before = e[e["prev_year"]].groupby("customer_id", sort=False)[["kwh", "period"]].sum(min_count=1)
    out["kpm_12m"] = _ratio(recent["kwh"], recent["period"]).reindex(out.index)
    out["trend_12m"] = _ratio(out["kpm_12m"], _ratio(before["kwh"], before["period"]).reindex(out.index))
    out["kpm_max"] = stats["max"]
    out["kpm_min"] = stats["min"]
    spike = (e["kpm"] > SPIKE_FACTOR * e["customer_id"].map(stats["median"])) & (e["kpm"] > 0)
    out["spikes"] = spike.groupby(e["customer_id"], sort=False).sum().astype(float)
    last_rows = e[last].groupby("customer_id", sort=False)
    out["zero_last4"] = last_rows["zero"].sum(min_count=1)
    out["zero_adv_last4"] = last_rows["zero_advancing"].sum()
    tiers = g[["tier1", "tier2", "tier3", "tier4"]].sum(min_count=1)
    tier_total = tiers.sum(axis=1, min_count=1)
    for i in range(1, 5):
        out[f"tier{i}_share"] = _ratio(tiers[f"tier{i}"], tier_total)
    reaching_tier2 = e["tier2"] > 0
    if reaching_tier2.any():
        large = e.loc[reaching_tier2, "kpm"].quantile(LOW_TIER_ONLY_QUANTILE)
        only1 = (e["tier1"] > 0) & (e[["tier2", "tier3", "tier4"]].fillna(0).sum(axis=1) == 0)
        flag = (only1 & (e["kpm"] > large)).astype(float).where(e["tier1"].notna())
        out["tier1_only_large"] = flag.groupby(e["customer_id"], sort=False).mean()
    else:
        out["tier1_only_large"] = np.nan
    out["zero_adv_count"] = g["zero_advancing"].sum()
    return out


def _longest_gap(b: pd.DataFrame) -> pd.Series:
    """Longest time between consecutive readings of one meter, in months (b sorted by meter, date)."""
    gap = (b["read_date"] - b["read_date"].shift()).dt.days.where(b["same_meter"]) / 30.4375
    return gap.groupby(b["customer_id"], sort=False).max()


def _replacements(e: pd.DataFrame) -> pd.DataFrame:
    """Meter replacements on electricity meters and consumption after the last one vs before."""
    first_seen = e.groupby(["customer_id", "meter_id"], sort=False)["read_date"].min().reset_index()
    per_customer = first_seen.groupby("customer_id", sort=False)["read_date"].agg(["count", "max"])
    out = pd.DataFrame(index=per_customer.index)
    out["replacements"] = (per_customer["count"] - 1).astype(float)
    out["switch_date"] = per_customer["max"].where(per_customer["count"] > 1)
    switch = e["customer_id"].map(per_customer["max"].where(per_customer["count"] > 1))
    after = e[e["read_date"] >= switch].groupby("customer_id", sort=False)[["kwh", "period"]].sum()
    before = e[e["read_date"] < switch].groupby("customer_id", sort=False)[["kwh", "period"]].sum()
    out["after_ratio"] = _ratio(
        _ratio(after["kwh"], after["period"]).reindex(out.index),
        _ratio(before["kwh"], before["period"]).reindex(out.index),
    )
    return out


def bills_features(ctx: FeatureContext) -> pd.DataFrame | None:
    """Billing-record audit features as of ``ctx.as_of`` (see the module docstring)."""
    bills = ctx.table("bills")
    if bills is None or bills.empty:
        return None
    b = _prepare(bills, ctx.as_of_end)
    g = b.groupby("customer_id", sort=False)
    out = pd.DataFrame(index=pd.Index(g.size().index, name="customer_id"))
    out["bill_count"] = g.size().astype(float)
    out["bill_meter_count"] = g["meter_id"].nunique().astype(float)
    out["bill_gas_meter_count"] = b[b["gas"]].groupby("customer_id")["meter_id"].nunique().reindex(out.index)
    out["bill_gas_meter_count"] = out["bill_gas_meter_count"].fillna(0.0)
    first, last = g["read_date"].min(), g["read_date"].max()
    out["bill_tenure_months"] = (ctx.as_of_end - first).dt.days / 30.4375
    out["bill_months_since_last"] = (ctx.as_of_end - last).dt.days / 30.4375
    out["bill_per_year"] = _ratio(out["bill_count"], out["bill_tenure_months"] / 12)
    out["bill_reading_gap_max_months"] = _longest_gap(b).reindex(out.index)
    out["bill_identity_mismatch_share"] = g["mismatch"].mean()
    out["bill_identity_mismatch_kwh"] = g["mismatch_gap"].mean()
    index_sums = b[b["has_index"] == 1].groupby("customer_id", sort=False)[["kwh", "expected"]].sum()
    out["bill_billed_to_index_ratio"] = _ratio(index_sums["kwh"], index_sums["expected"]).reindex(out.index)
    out["bill_index_backwards_count"] = g["backwards"].sum(min_count=1)
    out["bill_index_repeat_share"] = g["repeat"].mean()
    out["bill_index_chain_break_share"] = g["chain_break"].mean()
    gaps = g["unbilled_gap"].sum(min_count=1)
    out["bill_unbilled_gap_share"] = _ratio(gaps, gaps + g["kwh"].sum(min_count=1))
    out["bill_status_abnormal_share"] = g["status_abnormal"].mean()
    out["bill_remark_unusual_share"] = g["remark_unusual"].mean()
    recent = b[b["recent"]].groupby("customer_id", sort=False)
    out["bill_status_abnormal_share_12m"] = recent["status_abnormal"].mean().reindex(out.index)
    out["bill_remark_unusual_share_12m"] = recent["remark_unusual"].mean().reindex(out.index)
    out["bill_remark_kinds"] = g["remark"].nunique().astype(float)
    usual_period = b["period"].median()
    out["bill_period_months_mean"] = g["period"].mean()
    out["bill_long_period_share"] = (b["period"] > usual_period).astype(float).groupby(b["customer_id"]).mean()
    out["bill_multiplier_max"] = g["mult"].max()
    out["bill_multiplier_changes"] = g["mult_change"].sum(min_count=1)
    out["bill_tariff_codes"] = g["tariff"].nunique().astype(float)

    elec = b[~b["gas"]]
    cons = _consumption(elec).reindex(out.index)
    repl = _replacements(elec).reindex(out.index)
    out["bill_spike_count"] = cons["spikes"]
    out["bill_meter_replacements"] = repl["replacements"]
    out["bill_after_replacement_ratio"] = repl["after_ratio"]
    out["bill_months_since_replacement"] = (ctx.as_of_end - repl["switch_date"]).dt.days / 30.4375
    for i in range(1, 5):
        out[f"bill_tier{i}_share"] = cons[f"tier{i}_share"]
    out["bill_tier1_only_large_share"] = cons["tier1_only_large"]
    out["bill_kwh_per_month"] = cons["kpm"]
    out["bill_kwh_per_month_12m"] = cons["kpm_12m"]
    out["bill_kwh_per_month_max"] = cons["kpm_max"]
    out["bill_kwh_per_month_min"] = cons["kpm_min"]
    out["bill_kwh_per_month_cv"] = cons["kpm_cv"]
    out["bill_trend_last4"] = cons["trend_last4"]
    out["bill_trend_12m"] = cons["trend_12m"]
    out["bill_zero_share"] = cons["zero_share"]
    out["bill_zero_last4"] = cons["zero_last4"]
    out["bill_zero_advancing_last4"] = cons["zero_adv_last4"]
    out["bill_zero_advancing_count"] = cons["zero_adv_count"]
    gas = b[b["gas"]]
    gas_cons = _consumption(gas, prefix="gas").reindex(out.index) if len(gas) else None
    if gas_cons is not None:
        out["bill_gas_kwh_per_month"] = gas_cons["kpm"]
        out["bill_gas_trend_last4"] = gas_cons["trend_last4"]
        out["bill_gas_kwh_per_month_cv"] = gas_cons["kpm_cv"]
        out["bill_gas_zero_share"] = gas_cons["zero_share"]
        out["bill_elec_vs_gas_trend"] = _ratio(out["bill_trend_last4"], gas_cons["trend_last4"])
        gas_repl = _replacements(gas).reindex(out.index)
        out["bill_gas_meter_replacements"] = gas_repl["replacements"]
        out["bill_gas_after_replacement_ratio"] = gas_repl["after_ratio"]
    else:
        out["bill_gas_kwh_per_month"] = np.nan
        out["bill_gas_trend_last4"] = np.nan
        out["bill_gas_kwh_per_month_cv"] = np.nan
        out["bill_gas_zero_share"] = np.nan
        out["bill_elec_vs_gas_trend"] = np.nan
        out["bill_gas_meter_replacements"] = np.nan
        out["bill_gas_after_replacement_ratio"] = np.nan
    return out[FEATURE_NAMES].astype(float)
