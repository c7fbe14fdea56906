"""Ground truth of the planted problems, for evaluation only (never an input of the model)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..months import month_end, month_start
from .calendar import Calendar
from .customers import Population
from .problems import ProblemPlan


def customer_truth(pop: Population, plan: ProblemPlan, cal: Calendar) -> pd.DataFrame:
    """One row per customer: problem, problem_start, problem_end (last day in effect; NaT =
    still going at the end of the data), factor (planted share of energy still metered/billed)."""
    return pd.DataFrame(
        {
            "customer_id": pd.array(pop.customer_id, dtype="str"),
            "problem": pd.array(plan.kind, dtype="str"),
            "problem_start": cal.to_dates(plan.start_day).as_unit("us"),
            "problem_end": cal.to_dates(plan.end_day).as_unit("us"),
            "factor": np.round(plan.factor, 4),
        }
    )


def order_truth(orders: pd.DataFrame, problem: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {"order_id": orders["order_id"].astype("str").to_numpy(), "problem": pd.array(problem, dtype="str")}
    ).astype({"order_id": "str"})


def truth_active(truth_customers: pd.DataFrame, month: str | pd.Period) -> pd.Series:
    """Whether each customer has a problem in effect at some point of ``month``.

    Active = problem is not 'none', it started on or before the month's last day, and it had
    not ended before the month's first day (``problem_end`` is the last day in effect).
    """
    first, last = month_start(month), month_end(month)
    start = pd.to_datetime(truth_customers["problem_start"])
    end = pd.to_datetime(truth_customers["problem_end"])
    active = (
        (truth_customers["problem"].astype(str) != "none").to_numpy()
        & (start <= last).to_numpy()
        & (end.isna() | (end >= first)).to_numpy()
    )
    index = pd.Index(truth_customers["customer_id"].astype(str), name="customer_id")
    return pd.Series(active, index=index, name="active", dtype=bool)
