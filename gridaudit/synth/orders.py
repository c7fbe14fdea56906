"""Business work orders (业务工单) and the process errors planted among them.

Orders come from the customers' lives (connections, closes, capacity and tariff changes, meter
replacements, temporary supply) and from every billing adjustment. Process errors, with truth:
``self_approval`` (operator approves his own order), ``overdue`` (took longer than the kind's
time limit, see Config.order_time_limits_days), ``reversed`` (a tariff change undone within
weeks), ``multiplier_before_drop`` (a meter replacement that recorded a wrong multiplier, after
which billed energy falls). A few corner-cutting operators commit most of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import Config
from .calendar import Calendar
from .customers import Population
from .params import TARIFF_CODE
from .problems import ProblemPlan
from .staff import Staff

ORDER_PROBLEMS = ("none", "multiplier_before_drop", "reversed", "self_approval", "overdue")
MONTHLY_RATES = {  # orders per customer-month, by kind
    "meter_replacement": 0.002,
    "capacity_change": 0.0025,  # non-residential accounts only
    "tariff_change": 0.0004,
    "temporary_use": 0.0003,
    "other": 0.0015,
}


def _orders(rows, days, kind, **extra) -> pd.DataFrame:
    return pd.DataFrame(
        {"row": np.asarray(rows, dtype=int), "day": np.asarray(days, dtype=float), "kind": kind, **extra}
    )


def make_work_orders(
    rng: np.random.Generator,
    pop: Population,
    plan: ProblemPlan,
    cal: Calendar,
    staff: Staff,
    adjustments: pd.DataFrame,
    replace_day: np.ndarray,
    tariff_fixes: pd.DataFrame,
    time_limits_days: dict[str, int] | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Work orders (internal ``row`` and ``created_day``) and each order's truth problem.

    ``time_limits_days`` are the days each kind may take (default: the config's), beyond which
    an order is ``overdue``.
    """
    n, n_days = pop.n, cal.n_days
    close = np.where(np.isnan(pop.close_day), np.inf, pop.close_day)
    limits = time_limits_days or Config().order_time_limits_days
    parts = []

    new = (pop.connect_day >= 0) & (pop.connect_day < n_days)
    parts.append(_orders(np.flatnonzero(new), pop.connect_day[new], "new_connection"))
    closed = ~np.isnan(pop.close_day)
    parts.append(_orders(np.flatnonzero(closed), pop.close_day[closed], "account_close"))
    replaced = ~np.isnan(replace_day)
    wrong = plan.kind == "wrong_multiplier"
    parts.append(
        _orders(
            np.flatnonzero(replaced), replace_day[replaced], "meter_replacement",
            multiplier_before=pop.multiplier[replaced],
            multiplier_after=np.where(wrong, plan.bill_multiplier, pop.multiplier)[replaced],
            problem=np.where(wrong[replaced], "multiplier_before_drop", "none"),
        )
    )  # fmt: skip
    for kind, rate in MONTHLY_RATES.items():
        if kind == "meter_replacement":
            continue
        r, day = np.nonzero(rng.random((n, n_days // 30)) < rate)
        day = day * 30 + rng.integers(0, 30, len(r))
        keep = (day > pop.connect_day[r]) & (day < close[r]) & (day < n_days)
        if kind == "capacity_change":
            keep &= pop.category[r] != "residential"
        parts.append(_orders(r[keep], day[keep], kind, created=True))
    parts.append(
        _orders(
            adjustments["row"], adjustments["day"], "billing_adjustment",
            amount=adjustments["amount_delta"].abs().to_numpy(),
            operator_id=adjustments["operator_id"].to_numpy(), approver_id=adjustments["approver_id"].to_numpy(),
        )
    )  # fmt: skip
    parts.append(
        _orders(
            tariff_fixes["row"], tariff_fixes["day"], "tariff_change",
            tariff_before=TARIFF_CODE["residential"], tariff_after=TARIFF_CODE["commercial"],
        )
    )  # fmt: skip
    # reversed tariff changes: A -> B, then B -> A a few weeks later by the same corner-cutter
    candidates = np.flatnonzero((pop.connect_day < 0) & (close > n_days))
    k = min(max(1, round(n / 500)), len(candidates))
    r = rng.choice(candidates, k, replace=False)
    day = rng.integers(30, n_days - 60, k)
    before = np.array([TARIFF_CODE[c] for c in pop.category[r]], dtype=object)
    after = np.where(before == TARIFF_CODE["commercial"], TARIFF_CODE["other"], TARIFF_CODE["commercial"])
    cutter = rng.choice(staff.corner_cutters[:2], k)
    for lag, (tb, ta) in enumerate([(before, after), (after, before)]):
        parts.append(
            _orders(r, day + lag * rng.integers(10, 40, k), "tariff_change", tariff_before=tb, tariff_after=ta,
                    operator_id=cutter, problem="reversed", created=True)
        )  # fmt: skip

    orders = pd.concat(parts, ignore_index=True)
    orders = orders[orders["day"] < n_days].reset_index(drop=True)
    m = len(orders)
    kind = orders["kind"].to_numpy()
    if "problem" not in orders:
        orders["problem"] = "none"
    problem = orders["problem"].fillna("none").to_numpy(dtype=object, copy=True)

    # who handled it
    pool = {"meter_replacement": staff.metering, "billing_adjustment": staff.billing}
    operator = (
        orders["operator_id"].to_numpy(dtype=object, copy=True)
        if "operator_id" in orders
        else np.full(m, None, dtype=object)
    )
    for k_name in np.unique(kind):
        mask = (kind == k_name) & pd.isna(operator)
        people = pool.get(k_name, staff.service)
        operator[mask] = people[rng.integers(0, len(people), mask.sum())]
    approver = (
        orders["approver_id"].to_numpy(dtype=object, copy=True)
        if "approver_id" in orders
        else np.full(m, None, dtype=object)
    )
    missing = pd.isna(approver)
    approver[missing] = staff.managers[rng.integers(0, len(staff.managers), missing.sum())]
    cutter = np.isin(operator, staff.corner_cutters)
    self_approve = (kind != "billing_adjustment") & (rng.random(m) < np.where(cutter, 0.15, 0.005))
    approver[self_approve] = operator[self_approve]

    # how long it took: usually well inside the limit, corner-cutters often far beyond it
    limit = np.array([limits.get(k_name, 15) for k_name in kind], dtype=float)
    late = rng.random(m) < np.where(cutter, 0.2, 0.01)
    duration = np.where(late, limit * rng.uniform(1.3, 4.0, m), (limit - 1) * rng.beta(2, 5, m))
    duration = np.where(kind == "billing_adjustment", rng.uniform(0, 3, m), duration)
    # linked orders end on their event's day; routine ones start on theirs (and may still be open)
    anchored_at_end = orders["created"].isna().to_numpy() if "created" in orders else np.ones(m, bool)
    day = orders["day"].to_numpy()
    whole_days = np.ceil(duration)
    created_day = np.where(anchored_at_end, day - whole_days, day)
    completed_day = created_day + whole_days
    work_minutes = rng.integers(8 * 60 + 30, 17 * 60 + 30, (2, m))
    created = (
        cal.start + pd.to_timedelta(created_day, unit="D") + pd.to_timedelta(work_minutes[0], unit="min")
    )
    completed = (
        cal.start + pd.to_timedelta(completed_day, unit="D") + pd.to_timedelta(work_minutes[1], unit="min")
    )
    completed = np.where(completed < created, created + pd.Timedelta(minutes=30), completed)
    created, completed = created.to_numpy(), np.asarray(completed, dtype="datetime64[ns]")
    now = np.datetime64(cal.end + pd.Timedelta(days=1))
    open_now = completed >= now
    completed = np.where(open_now, np.datetime64("NaT"), completed)
    status = np.where(open_now, "in_progress", "completed").astype(object)
    taken_days = (np.where(open_now, now, completed) - created) / np.timedelta64(1, "D")
    overdue = taken_days > limit
    problem = np.where((problem == "none") & (approver == operator), "self_approval", problem)
    problem = np.where((problem == "none") & overdue, "overdue", problem)

    def col(name, default=np.nan):
        return orders[name].to_numpy() if name in orders else np.full(m, default)

    # routine tariff changes: from the account's tariff to another one
    codes = np.array(list(TARIFF_CODE.values()), dtype=object)
    routine_tariff = (kind == "tariff_change") & pd.isna(col("tariff_before", None))
    tariff_before = np.where(
        routine_tariff, [TARIFF_CODE[c] for c in pop.category[orders["row"]]], col("tariff_before", None)
    )
    tariff_after = np.where(routine_tariff, codes[rng.integers(0, len(codes), m)], col("tariff_after", None))

    capacity = pop.capacity
    cap_before = np.where(kind == "capacity_change", capacity[orders["row"]], np.nan)
    cap_after = np.where(
        kind == "capacity_change", np.round(cap_before * rng.choice([0.5, 1.5, 2.0], m)), np.nan
    )
    amount = col("amount")
    amount = np.where(kind == "new_connection", capacity[orders["row"]] * rng.uniform(50, 200, m), amount)
    amount = np.where(
        kind == "capacity_change", np.abs(cap_after - cap_before) * rng.uniform(50, 200, m), amount
    )
    amount = np.where(kind == "temporary_use", rng.uniform(500, 5000, m), amount)
    amount = np.where(kind == "account_close", rng.uniform(0, 500, m), amount)
    amount = np.where(np.isnan(amount), 0.0, amount)

    frame = pd.DataFrame(
        {
            "row": orders["row"].to_numpy(),
            "created_day": np.floor(created_day),
            "customer_id": pd.array(pop.customer_id[orders["row"]], dtype="str"),
            "kind": pd.array(kind, dtype="str"),
            "created_at": pd.DatetimeIndex(created).as_unit("us"),
            "completed_at": pd.DatetimeIndex(completed).as_unit("us"),
            "operator_id": pd.array(operator, dtype="str"),
            "approver_id": pd.array(approver, dtype="str"),
            "status": pd.array(status, dtype="str"),
            "tariff_before": pd.array(tariff_before, dtype="str"),
            "tariff_after": pd.array(tariff_after, dtype="str"),
            "capacity_before": cap_before,
            "capacity_after": cap_after,
            "multiplier_before": col("multiplier_before"),
            "multiplier_after": col("multiplier_after"),
            "amount": np.round(amount, 2),
            "problem": problem,
        }
    )
    frame = frame.sort_values(["created_at", "row"], kind="stable").reset_index(drop=True)
    frame.insert(0, "order_id", pd.array([f"WO{i:07d}" for i in range(1, len(frame) + 1)], dtype="str"))
    truth = frame["problem"].to_numpy()
    return frame.drop(columns="problem"), truth
