"""Inspections of work orders: a handful a month, mostly picked by the team's suspicions
(late orders, self-approved ones, big amounts, operators with a reputation), some at random."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import Calendar
from .inspections import INSPECTION_COLUMNS, working_days_in_month
from .params import DETECTION_PROBABILITY, ORDER_INSPECTIONS_PER_CUSTOMER_MONTH
from .staff import Staff

RANDOM_SHARE = 0.3


def simulate_order_inspections(
    rng: np.random.Generator,
    orders: pd.DataFrame,
    order_problem: np.ndarray,
    cal: Calendar,
    staff: Staff,
    n_customers: int,
) -> pd.DataFrame:
    """One row per order inspection (``row`` = order position in ``orders``)."""
    created = orders["created_day"].to_numpy()
    completed = orders["completed_at"].to_numpy()
    taken = (orders["completed_at"] - orders["created_at"]).dt.total_seconds().to_numpy() / 86400
    suspicion = (
        0.8 * np.nan_to_num(taken > 10) + 1.0 * (orders["operator_id"] == orders["approver_id"]).to_numpy()
        + 0.3 * np.log10(orders["amount"].to_numpy() + 1) / 4 + 0.5 * orders["operator_id"].isin(staff.corner_cutters).to_numpy()
    )  # fmt: skip
    inspected = np.zeros(len(orders), bool)
    per_month = max(1, round(ORDER_INSPECTIONS_PER_CUSTOMER_MONTH * n_customers))
    records = []
    for m in range(1, cal.n_months):
        first = cal.first_day[m]
        eligible = (created >= first - 90) & (created < first) & ~inspected & ~pd.isna(completed)
        pool = np.flatnonzero(eligible)
        if len(pool) == 0:
            continue
        k = min(per_month, len(pool))
        n_random = int(round(RANDOM_SHARE * k))
        score = suspicion[pool] + rng.normal(0, 0.6, len(pool))
        targeted = pool[np.argsort(-score, kind="stable")[: k - n_random]]
        rest = np.setdiff1d(pool, targeted)
        random_pick = rng.choice(rest, min(n_random, len(rest)), replace=False)
        inclusion = len(random_pick) / len(rest) if len(rest) else np.nan
        rows = np.concatenate([targeted, random_pick]).astype(int)
        selection = np.repeat(["targeted", "random"], [len(targeted), len(random_pick)])
        has_problem = order_problem[rows] != "none"
        found = has_problem & (rng.random(len(rows)) < DETECTION_PROBABILITY)
        false = ~has_problem & (rng.random(len(rows)) < 0.003)
        days = working_days_in_month(rng, cal, m, len(rows))
        inspected[rows] = True
        records.append(
            pd.DataFrame(
                {
                    "row": rows,
                    "day": days,
                    "selection": selection,
                    "inclusion_probability": np.where(selection == "random", inclusion, np.nan),
                    "result": np.where(found | false, "process_error", "clean"),
                    "recovered_kwh": 0.0,
                    "recovered_amount": np.where(
                        found, np.round(orders["amount"].to_numpy()[rows] * 0.1, 2), 0.0
                    ),
                    "recorded_day": days + rng.integers(5, 46, len(rows)),
                }
            )  # fmt: skip
        )
    if not records:
        return pd.DataFrame(columns=INSPECTION_COLUMNS)
    return pd.concat(records, ignore_index=True)
