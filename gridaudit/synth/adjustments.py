"""Billing adjustments: routine refunds, supplements and edits, plus repeated refunds and reading
edits that a corrupt clerk books for the same customers (the ``adjustment_abuse`` problem)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import Calendar
from .customers import Population
from .params import PRICE_YUAN_PER_KWH
from .problems import ProblemPlan
from .staff import Staff

ROUTINE_RATE = 0.006  # adjustments per customer-month
ROUTINE_KINDS = (
    "refund",
    "supplement",
    "reading_edit",
    "estimated_bill",
    "multiplier_edit",
    "tariff_edit",
    "other",
)
ROUTINE_SHARES = (0.30, 0.25, 0.15, 0.15, 0.03, 0.05, 0.07)
REASONS = {
    "refund": ["抄表差错退费", "客户申诉退费", "表计故障退补"],
    "supplement": ["少计电量补收", "表计故障退补", "估抄冲正"],
    "reading_edit": ["抄表差错修改示数", "客户申诉修改示数"],
    "estimated_bill": ["无法抄表估抄", "采集失败估抄"],
    "multiplier_edit": ["倍率档案修正"],
    "tariff_edit": ["电价执行修正"],
    "other": ["其他"],
}
ABUSE_MONTHLY_RATE = 0.7


def price_of(pop: Population) -> np.ndarray:
    return np.array([PRICE_YUAN_PER_KWH[c] for c in pop.category])


def _reasons(rng: np.random.Generator, kinds: np.ndarray) -> np.ndarray:
    out = np.empty(len(kinds), dtype=object)
    for kind, texts in REASONS.items():
        mask = kinds == kind
        out[mask] = np.asarray(texts, dtype=object)[rng.integers(0, len(texts), mask.sum())]
    return out


def _month_days(rng: np.random.Generator, cal: Calendar, months: np.ndarray) -> np.ndarray:
    length = cal.last_day[months] - cal.first_day[months] + 1
    return cal.first_day[months] + np.floor(rng.random(len(months)) * length).astype(int)


def make_adjustments(
    rng: np.random.Generator, pop: Population, plan: ProblemPlan, cal: Calendar, staff: Staff
) -> pd.DataFrame:
    """Adjustment events with customer row and day positions (internal columns ``row``, ``day``,
    ``abusive``); ``finish`` turns them into the contract table."""
    n, n_months = pop.n, cal.n_months
    monthly_kwh = pop.level * 30
    price = price_of(pop)
    close = np.where(np.isnan(pop.close_day), np.inf, pop.close_day)

    # routine adjustments
    rows, months = np.nonzero(rng.random((n, n_months)) < ROUTINE_RATE)
    day = _month_days(rng, cal, months)
    kinds = np.asarray(ROUTINE_KINDS, dtype=object)[
        rng.choice(len(ROUTINE_KINDS), len(rows), p=ROUTINE_SHARES)
    ]
    size = monthly_kwh[rows] * rng.uniform(0.05, 0.5, len(rows))
    sign = np.select(
        [kinds == "refund", np.isin(kinds, ("supplement", "estimated_bill"))],
        [-1.0, 1.0],
        np.where(rng.random(len(rows)) < 0.5, -1.0, 1.0),
    )
    kwh = np.where(kinds == "tariff_edit", 0.0, sign * size)
    amount = np.where(kinds == "tariff_edit", sign * size * 0.1 * price[rows], kwh * price[rows])
    operator = staff.billing[rng.integers(0, len(staff.billing), len(rows))]
    approver = staff.managers[rng.integers(0, len(staff.managers), len(rows))]
    routine = pd.DataFrame(
        {"row": rows, "day": day, "kind": kinds, "kwh_delta": kwh, "amount_delta": amount,
         "operator_id": operator, "approver_id": approver, "abusive": False}
    )  # fmt: skip

    # abuse: a corrupt clerk books refunds or reading edits for 'his' customers most months
    abused = np.flatnonzero(plan.kind == "adjustment_abuse")
    clerk = staff.corrupt_clerks[rng.integers(0, len(staff.corrupt_clerks), len(abused))]
    start_month = cal.day_month[np.clip(plan.start_day[abused].astype(int), 0, cal.n_days - 1)]
    grid = rng.random((len(abused), n_months)) < ABUSE_MONTHLY_RATE
    grid &= np.arange(n_months)[None, :] >= start_month[:, None]
    which, months = np.nonzero(grid)
    rows = abused[which]
    day = np.maximum(_month_days(rng, cal, months), plan.start_day[rows].astype(int))
    kinds = np.where(rng.random(len(rows)) < 0.6, "refund", "reading_edit").astype(object)
    kwh = -monthly_kwh[rows] * rng.uniform(0.2, 0.6, len(rows))
    self_approved = rng.random(len(rows)) < 0.5
    abuse = pd.DataFrame(
        {"row": rows, "day": day, "kind": kinds, "kwh_delta": kwh, "amount_delta": kwh * price[rows],
         "operator_id": clerk[which], "approver_id": np.where(self_approved, clerk[which], staff.colluding_manager),
         "abusive": True}
    )  # fmt: skip

    events = pd.concat([routine, abuse], ignore_index=True)
    in_service = (events["day"].to_numpy() >= pop.connect_day[events["row"]]) & (
        events["day"].to_numpy() <= close[events["row"]]
    )
    events = events[in_service & (events["day"].to_numpy() < cal.n_days)]
    events = events.assign(reason=_reasons(rng, events["kind"].to_numpy()))
    return events.reset_index(drop=True)


def finish_adjustments(events: pd.DataFrame, pop: Population, cal: Calendar) -> pd.DataFrame:
    """Contract table, in date order, with ids ``ADJ`` + sequence."""
    events = events.sort_values(["day", "row"], kind="stable").reset_index(drop=True)
    return pd.DataFrame(
        {
            "adjustment_id": pd.array([f"ADJ{i:07d}" for i in range(1, len(events) + 1)], dtype="str"),
            "customer_id": pd.array(pop.customer_id[events["row"].to_numpy()], dtype="str"),
            "date": cal.to_dates(events["day"].to_numpy()).as_unit("us"),
            "kind": pd.array(events["kind"].to_numpy(), dtype="str"),
            "kwh_delta": np.round(events["kwh_delta"].to_numpy(dtype=float), 2),
            "amount_delta": np.round(events["amount_delta"].to_numpy(dtype=float), 2),
            "operator_id": pd.array(events["operator_id"].to_numpy(), dtype="str"),
            "approver_id": pd.array(events["approver_id"].to_numpy(), dtype="str"),
            "reason": pd.array(events["reason"].to_numpy(), dtype="str"),
        }
    )
