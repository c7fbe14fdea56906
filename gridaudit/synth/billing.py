"""Monthly bills from the meter register: start/end index, multiplier, tiers, remarks.

The register advances by metered kWh / true multiplier. Billed kWh = (end - start) x the
multiplier the billing system holds, which for ``wrong_multiplier`` customers is too small from
the (faulty) meter replacement until the bill after the problem is found. Daily curves come from
the collection system, which applies the right multiplier: so the bill falls while the curve
does not, and the area's line loss rises.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import Calendar
from .customers import Population
from .params import RESIDENTIAL_TIER_LIMITS_KWH, TARIFF_CODE
from .problems import THEFT_KINDS, ProblemPlan

ESTIMATED_RATE = 0.02
NO_ACCESS_RATE = 0.01


def read_days(rng: np.random.Generator, pop: Population, cal: Calendar) -> tuple[np.ndarray, np.ndarray]:
    """(read day, previous read day) per customer x month; most are read at month end, the rest
    on a fixed day of the month. A closing account gets its final reading on the closing day."""
    n = pop.n
    dom = np.where(rng.random(n) < 0.7, 31, rng.choice([10, 15, 20, 25], n))
    first, last = cal.first_day[None, :], cal.last_day[None, :]
    day = np.minimum(first + dom[:, None] - 1, last)
    close = np.where(np.isnan(pop.close_day), np.inf, pop.close_day)[:, None]
    day = np.minimum(day, close).astype(int)
    previous = np.concatenate([day[:, :1] - 30, day[:, :-1]], axis=1)
    return day, previous


def billing_ratio_window(plan: ProblemPlan, n_days: int) -> np.ndarray:
    """customers x days: billing multiplier / true multiplier (1 except under wrong_multiplier)."""
    window = plan.window(n_days, ("wrong_multiplier",))
    return np.where(window, np.nan_to_num(plan.factor, nan=1.0)[:, None], 1.0)


def make_bills(
    rng: np.random.Generator,
    pop: Population,
    plan: ProblemPlan,
    cal: Calendar,
    metered: np.ndarray,
    replace_day: np.ndarray,
) -> pd.DataFrame:
    n, n_months = pop.n, cal.n_months
    day, previous = read_days(rng, pop, cal)
    valid = (day >= pop.connect_day[:, None]) & (day > previous)
    # register energy: cumulative metered kWh through each day (0 outside service)
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(np.nan_to_num(metered), axis=1)], axis=1)
    energy_end = np.take_along_axis(cum, day + 1, axis=1)
    energy_start = np.take_along_axis(cum, np.clip(previous, -1, None) + 1, axis=1)

    # meter replacement takes effect at the first reading on or after the replacement day
    replaced = ~np.isnan(replace_day)
    switch_month = np.where(
        replaced, (day < np.nan_to_num(replace_day, nan=1e9)[:, None]).sum(axis=1), n_months
    )
    month = np.arange(n_months)[None, :]
    new_meter = month > switch_month[:, None]
    switch_energy = np.take_along_axis(energy_end, np.clip(switch_month, 0, n_months - 1)[:, None], axis=1)
    mult = pop.multiplier[:, None]
    old_base = rng.uniform(0, 20000, n)[:, None] / np.sqrt(mult)
    true_end = np.where(new_meter, (energy_end - switch_energy) / mult, old_base + energy_end / mult)
    true_start = np.where(
        new_meter & (month > switch_month[:, None] + 1),
        (energy_start - switch_energy) / mult,
        np.where(new_meter, 0.0, old_base + energy_start / mult),
    )
    true_end, true_start = np.round(true_end, 2), np.round(true_start, 2)

    first_bill = valid & ~np.concatenate([np.zeros((n, 1), bool), valid[:, :-1]], axis=1)
    fresh = first_bill | (month == switch_month[:, None] + 1)
    draw = rng.random((n, n_months))
    remark = np.where(
        draw < ESTIMATED_RATE,
        "estimated",
        np.where(draw < ESTIMATED_RATE + NO_ACCESS_RATE, "no_access", "normal"),
    )
    closing = day == np.where(np.isnan(pop.close_day), -1, pop.close_day)[:, None]
    remark = np.where(fresh | closing, "normal", remark).astype(object)

    rec_start = np.zeros((n, n_months))
    rec_end = np.zeros((n, n_months))
    last_kwh = pop.level * 30 / pop.multiplier  # register units of a typical month
    for m in range(n_months):
        carry = rec_end[:, m - 1] if m else true_start[:, 0]
        start = np.where(fresh[:, m] | (m == 0), true_start[:, m], carry)
        end = np.maximum(true_end[:, m], start)
        end = np.where(remark[:, m] == "estimated", start + np.round(0.8 * last_kwh, 2), end)
        end = np.where(remark[:, m] == "no_access", start, end)
        rec_start[:, m], rec_end[:, m] = start, end
        last_kwh = np.where(valid[:, m] & (remark[:, m] == "normal"), end - start, last_kwh)

    # the billing system's multiplier on each bill
    wrong = plan.kind == "wrong_multiplier"
    plan_end = np.where(np.isnan(plan.end_day), np.inf, plan.end_day)[:, None]
    # the faulty multiplier arrives with the new meter and stays until the bill after the finding
    wrong_bill = wrong[:, None] & new_meter & (previous <= plan_end)
    bill_mult = np.where(wrong_bill, plan.bill_multiplier[:, None], mult)
    kwh = np.round(np.clip((rec_end - rec_start) * bill_mult, 0, None), 2)

    # who, what and how, flattened to one row per bill
    rows, months = np.nonzero(valid)
    b_kwh = kwh[rows, months]
    b_day = day[rows, months]
    category = pop.category[rows]
    corrected = (plan.kind[rows] == "tariff_misclassified") & (
        b_day > np.nan_to_num(plan.end_day[rows], nan=np.inf)
    )
    residential = (category == "residential") & ~corrected
    t1, t2 = RESIDENTIAL_TIER_LIMITS_KWH
    tier = {
        "kwh_tier_1": np.where(residential, np.minimum(b_kwh, t1), np.nan),
        "kwh_tier_2": np.where(residential, np.clip(b_kwh - t1, 0, t2 - t1), np.nan),
        "kwh_tier_3": np.where(residential, np.clip(b_kwh - t2, 0, None), np.nan),
        "kwh_tier_4": np.full(len(rows), np.nan),
    }
    tariff = np.array([TARIFF_CODE[c] for c in category], dtype=object)
    tariff[corrected] = TARIFF_CODE["commercial"]

    meter_base = 1_000_000_000 + np.arange(n) * 2
    meter_no = meter_base[rows] + new_meter[rows, months]
    meter_id = np.char.add("MTR", meter_no.astype(str))

    status = np.full(len(rows), "normal", dtype=object)
    kind = plan.kind[rows]
    in_problem = (b_day >= np.nan_to_num(plan.start_day[rows], nan=np.inf)) & (
        b_day <= np.nan_to_num(plan.end_day[rows], nan=np.inf)
    )
    s = rng.random(len(rows))
    status[(kind == "long_zero") & in_problem & (s < 0.4)] = "stopped"
    status[np.isin(kind, THEFT_KINDS) & in_problem & (s < 0.03)] = "seal_broken"
    status[(status == "normal") & (s > 0.998)] = "damaged"

    return pd.DataFrame(
        {
            "customer_id": pd.array(pop.customer_id[rows], dtype="str"),
            "read_date": cal.days[b_day].as_unit("us"),
            "period_months": np.ones(len(rows), dtype=np.int64),
            "meter_id": pd.array(meter_id, dtype="str"),
            "start_reading": rec_start[rows, months],
            "end_reading": rec_end[rows, months],
            "multiplier": bill_mult[rows, months],
            "kwh_billed": b_kwh,
            **tier,
            "tariff_code": pd.array(tariff, dtype="str"),
            "meter_status": pd.array(status, dtype="str"),
            "reading_remark": pd.array(remark[rows, months], dtype="str"),
        }
    )
