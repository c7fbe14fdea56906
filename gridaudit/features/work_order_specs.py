"""Registry descriptions of the work-order features (internal audit, 内稽), described once.

Reason sentences read like an internal auditor's note. ``{value}`` is the order's own value;
``{peer}`` is what :func:`gridaudit.features.work_orders.order_peer_values` supplies: the time
limit of the order's kind for the duration, and the median among orders of the same kind for
every other numeric feature. Flag sentences state the risky case (flag = 1); they are meant to be
shown only when the flag is set.
"""

from __future__ import annotations

from .registry import FeatureSpec, register

TARGET = "work_order"

# Windows the sentences speak of; the feature functions take them as parameters with these defaults.
CONSUMPTION_WINDOW_DAYS = 60
REVERSAL_WINDOW_DAYS = 180
ADJUSTMENT_MATCH_DAYS = 7
ADJUSTMENT_LOOKBACK_DAYS = 365


def _spec(name, family, unit, risky, meaning_en, meaning_zh, reason_en, reason_zh) -> FeatureSpec:
    return register(
        FeatureSpec(
            name=name,
            family=family,
            meaning_en=meaning_en,
            meaning_zh=meaning_zh,
            unit=unit,
            risky=risky,
            reason_en=reason_en,
            reason_zh=reason_zh,
            target_type=TARGET,
        )
    )


SPECS = [
    _spec(
        "kind",
        "work_order_process",
        "category",
        "either",
        "kind of business order",
        "业务类型",
        "order kind: {value}",
        "业务类型：{value}",
    ),
    # timing
    _spec(
        "order_duration_days",
        "work_order_timing",
        "days",
        "high",
        "days from creation to completion (to month end while still open)",
        "受理至归档天数（未归档的计至月末）",
        "took {value} (counted to month end if still open); the limit for this kind is {peer}",
        "办理用时 {value}（未归档的计至月末），该类业务时限为 {peer}",
    ),
    _spec(
        "order_duration_to_limit_ratio",
        "work_order_timing",
        "ratio",
        "high",
        "duration as a share of the time limit for the order's kind",
        "办理用时占该类业务时限的比例",
        "took {value} of the time limit for its kind",
        "办理用时达到该类业务时限的 {value}",
    ),
    _spec(
        "order_overdue",
        "work_order_timing",
        "flag",
        "high",
        "took (or has been open) longer than the time limit for its kind",
        "办理用时超过该类业务时限",
        "not completed within the time limit for its kind",
        "未在该类业务时限内办结",
    ),
    _spec(
        "order_still_open",
        "work_order_timing",
        "flag",
        "either",
        "not completed by the end of the month",
        "月末仍未归档",
        "still open at the end of the month",
        "月末仍未归档",
    ),
    _spec(
        "completed_out_of_hours",
        "work_order_timing",
        "flag",
        "high",
        "completed before 8:00, after 18:00 or at a weekend",
        "在非工作时间归档（8:00前、18:00后或周末）",
        "completed outside working hours (before 8:00, after 18:00 or at a weekend)",
        "在非工作时间归档（8:00前、18:00后或周末）",
    ),
    _spec(
        "completed_at_month_end",
        "work_order_timing",
        "flag",
        "high",
        "completed in the last two days of a calendar month",
        "在月末最后两天归档",
        "completed in the last two days of the month",
        "在月末最后两天归档",
    ),
    # approval and staff history
    _spec(
        "self_approval",
        "work_order_staff",
        "flag",
        "high",
        "approver is the same person as the operator who handled the order",
        "审批人与处理人为同一人",
        "approved by the same person who handled it",
        "审批人与处理人为同一人",
    ),
    _spec(
        "approval_missing",
        "work_order_staff",
        "flag",
        "high",
        "no approver recorded",
        "无审批人记录",
        "no approver is recorded for this order",
        "该工单无审批人记录",
    ),
    _spec(
        "operator_past_error_rate",
        "work_order_staff",
        "share",
        "high",
        "share of the operator's inspected orders with a finding, results known by the month",
        "处理人已稽查工单中发现问题的比例（截至当月已登记的结果）",
        "{value} of this operator's inspected orders had findings (typical for this kind: {peer})",
        "处理人以往被稽查工单中 {value} 有问题（同类工单一般为 {peer}）",
    ),
    _spec(
        "operator_past_inspected",
        "work_order_staff",
        "count",
        "either",
        "inspections of the operator's orders with results known by the month",
        "处理人经办工单已登记的稽查次数",
        "this operator's orders were inspected {value} times before",
        "处理人经办工单以往被稽查 {value} 次",
    ),
    _spec(
        "approver_past_error_rate",
        "work_order_staff",
        "share",
        "high",
        "share of the approver's inspected orders with a finding, results known by the month",
        "审批人已稽查工单中发现问题的比例（截至当月已登记的结果）",
        "{value} of the orders this approver signed off had findings when inspected (typical for this kind: {peer})",
        "审批人以往审批的工单被稽查时 {value} 有问题（同类工单一般为 {peer}）",
    ),
    _spec(
        "approver_past_inspected",
        "work_order_staff",
        "count",
        "either",
        "inspections of the approver's orders with results known by the month",
        "审批人审批工单已登记的稽查次数",
        "orders this approver signed off were inspected {value} times before",
        "审批人审批的工单以往被稽查 {value} 次",
    ),
    # amount
    _spec(
        "amount_to_kind_median_ratio",
        "work_order_amount",
        "ratio",
        "high",
        "absolute amount against the median of orders of the same kind",
        "金额（绝对值）与同类工单中位数之比",
        "amount is {value} of the median for orders of this kind",
        "金额为同类工单中位数的 {value}",
    ),
    _spec(
        "amount_robust_z",
        "work_order_amount",
        "score",
        "high",
        "absolute amount in robust standard deviations (1.4826 x MAD) from the median of its kind",
        "金额（绝对值）偏离同类工单中位数的稳健标准差倍数",
        "amount lies {value} robust standard deviations above the median for orders of this kind",
        "金额高出同类工单中位数 {value} 个稳健标准差",
    ),
    # consumption around tariff, capacity and multiplier changes
    _spec(
        "kwh_per_day_before_change",
        "work_order_consumption",
        "kwh_per_day",
        "either",
        f"customer's mean daily kWh in the {CONSUMPTION_WINDOW_DAYS} days before the change was completed",
        f"变更归档前{CONSUMPTION_WINDOW_DAYS}天用户日均电量",
        f"used {{value}} a day in the {CONSUMPTION_WINDOW_DAYS} days before the change",
        f"变更前{CONSUMPTION_WINDOW_DAYS}天日均用电 {{value}}",
    ),
    _spec(
        "kwh_per_day_after_change",
        "work_order_consumption",
        "kwh_per_day",
        "low",
        f"customer's mean daily kWh in the {CONSUMPTION_WINDOW_DAYS} days after the change (up to month end)",
        f"变更归档后{CONSUMPTION_WINDOW_DAYS}天用户日均电量（计至月末）",
        "uses {value} a day since the change",
        "变更后日均用电 {value}",
    ),
    _spec(
        "kwh_after_vs_before_ratio",
        "work_order_consumption",
        "ratio",
        "low",
        f"mean daily kWh after the change against the {CONSUMPTION_WINDOW_DAYS} days before",
        f"变更后日均电量与变更前{CONSUMPTION_WINDOW_DAYS}天之比",
        f"after the change the customer used {{value}} of what it used in the {CONSUMPTION_WINDOW_DAYS} days before",
        f"变更后日均电量为变更前{CONSUMPTION_WINDOW_DAYS}天的 {{value}}",
    ),
    _spec(
        "billed_kwh_after_vs_before_ratio",
        "work_order_consumption",
        "ratio",
        "low",
        f"billed kWh per day after the change against bills of the {CONSUMPTION_WINDOW_DAYS} days before",
        f"变更后日均结算电量与变更前{CONSUMPTION_WINDOW_DAYS}天之比",
        f"after the change the customer was billed {{value}} of what it was billed in the {CONSUMPTION_WINDOW_DAYS} days before",
        f"变更后日均结算电量为变更前{CONSUMPTION_WINDOW_DAYS}天的 {{value}}",
    ),
    # repeated and reversed orders
    _spec(
        "customer_orders_prior_30d",
        "work_order_sequence",
        "count",
        "high",
        "other orders on the same customer created in the 30 days up to this one",
        "同一用户在本工单受理前30天内的其他工单数",
        "{value} other orders on this customer in the 30 days before this one",
        "该用户在本工单前30天内另有 {value} 张工单",
    ),
    _spec(
        "customer_orders_prior_90d",
        "work_order_sequence",
        "count",
        "high",
        "other orders on the same customer created in the 90 days up to this one",
        "同一用户在本工单受理前90天内的其他工单数",
        "{value} other orders on this customer in the 90 days before this one",
        "该用户在本工单前90天内另有 {value} 张工单",
    ),
    _spec(
        "reverses_earlier_order",
        "work_order_sequence",
        "flag",
        "high",
        f"undoes the tariff, capacity or multiplier change of an order on the same customer "
        f"created in the {REVERSAL_WINDOW_DAYS} days before",
        f"撤回同一用户{REVERSAL_WINDOW_DAYS}天内另一张工单的电价、容量或倍率变更",
        f"undoes a change made by another order on this customer in the previous {REVERSAL_WINDOW_DAYS} days",
        f"将该用户{REVERSAL_WINDOW_DAYS}天内另一张工单的变更改了回去",
    ),
    _spec(
        "reversed_by_later_order",
        "work_order_sequence",
        "flag",
        "high",
        f"its change was undone by a later order on the same customer within {REVERSAL_WINDOW_DAYS} days",
        f"其变更在{REVERSAL_WINDOW_DAYS}天内被同一用户的后续工单改回",
        f"its change was undone by a later order on this customer within {REVERSAL_WINDOW_DAYS} days",
        f"其变更在{REVERSAL_WINDOW_DAYS}天内被该用户的后续工单改回",
    ),
    # billing adjustments
    _spec(
        "adjustment_order_unmatched",
        "work_order_adjustments",
        "flag",
        "high",
        f"billing-adjustment order with no adjustment booked for the customer within "
        f"{ADJUSTMENT_MATCH_DAYS} days of it (empty until that window has passed)",
        f"退补工单前后{ADJUSTMENT_MATCH_DAYS}天内无该用户的退补记录（窗口未过完时为空）",
        f"billing-adjustment order with no adjustment booked within {ADJUSTMENT_MATCH_DAYS} days of it",
        f"退补工单前后{ADJUSTMENT_MATCH_DAYS}天内无对应的退补记录",
    ),
    _spec(
        "customer_adjustments_without_order_12m",
        "work_order_adjustments",
        "count",
        "high",
        f"billing adjustments over the threshold on the order's customer in the last 12 months with "
        f"no billing-adjustment order within {ADJUSTMENT_MATCH_DAYS} days",
        f"该用户近12个月超过阈值且前后{ADJUSTMENT_MATCH_DAYS}天内无退补工单的退补记录数",
        "{value} large billing adjustments on this customer in the last 12 months have no adjustment order",
        "该用户近12个月有 {value} 笔大额退补无对应的退补工单",
    ),
]

FEATURE_NAMES = tuple(s.name for s in SPECS)
FLAG_FEATURES = tuple(s.name for s in SPECS if s.unit == "flag")
