"""How an audit team really picks and inspects customers, month by month.

Each month the team inspects 2-3% of the customers in service: most picks are *targeted* by
rules of thumb computed from what the team could see at the end of the previous month (a big
consumption drop, near-zero runs, many refunds, a lossy area, big accounts), blurred by noise
so that the rules find only part of the problems; 15-20% are drawn at *random* (with their
inclusion probability) and a few come from *tips*. An inspection finds an active problem with
probability 0.85, a clean account almost never; most problems found are then fixed, which
changes what later months look like, so the simulation walks the months in order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .calendar import Calendar
from .customers import Population
from .line_loss import area_loss_rate
from .params import (
    COOLDOWN_MONTHS,
    DETECTION_PROBABILITY,
    FALSE_FINDING_PROBABILITY,
    FIXED_AFTER_FINDING,
    MONTHLY_INSPECTION_SHARE,
    PRICE_YUAN_PER_KWH,
    RANDOM_SHARE_OF_PICKS,
    THEFT_KINDS,
    TIPS_PER_CUSTOMER_MONTH,
)
from .problems import METER_TAMPERING, ProblemPlan

INSPECTION_COLUMNS = [
    "row", "day", "selection", "inclusion_probability", "result",
    "recovered_kwh", "recovered_amount", "recorded_day",
]  # fmt: skip


@dataclass
class CurveState:
    """What the customers use, what their meters record (changes when a problem is fixed)."""

    actual: np.ndarray
    tampered: np.ndarray
    metered: np.ndarray
    missing: np.ndarray  # collection failures (empty or absent)
    loss: np.ndarray  # technical loss rate per area


def _window_mean(x: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Row mean over days lo..hi (inclusive, clipped) and the number of values seen."""
    part = x[:, max(lo, 0) : hi + 1]
    seen = ~np.isnan(part)
    count = seen.sum(axis=1)
    total = np.where(seen, part, 0.0).sum(axis=1)
    return np.divide(total, count, out=np.full(len(x), np.nan), where=count > 0), count


def rule_scores(
    state: CurveState,
    pop: Population,
    plan: ProblemPlan,
    cal: Calendar,
    adjustments: pd.DataFrame,
    as_of_day: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """The team's rules of thumb as of a day, plus noise: higher = inspect first."""
    a = as_of_day
    lo = max(a - 364, 0)
    seen = np.where(state.missing[:, lo : a + 1], np.nan, state.metered[:, lo : a + 1])
    offset = lo
    recent, n_recent = _window_mean(seen, a - 89 - offset, a - offset)
    base, n_base = _window_mean(seen, a - 364 - offset, a - 90 - offset)
    drop = np.where(
        (n_recent >= 30) & (n_base >= 30) & (base > 0), 1 - recent / np.where(base > 0, base, 1), 0.0
    )
    last60 = seen[:, -60:]
    near_zero = np.where(np.isnan(last60), 0, last60 < 0.2).sum(axis=1) / np.maximum(
        (~np.isnan(last60)).sum(axis=1), 1
    )

    recent_adj = adjustments[
        (adjustments["day"] > a - 180) & (adjustments["day"] <= a)
        & adjustments["kind"].isin(["refund", "reading_edit"]) & (adjustments["kwh_delta"] < 0)
    ]  # fmt: skip
    refunds = np.bincount(recent_adj["row"].to_numpy(), minlength=pop.n)

    m = cal.day_month[a]
    sl = slice(cal.first_day[m], cal.last_day[m] + 1)
    used = np.nansum(state.actual[:, sl], axis=1)[:, None]
    ratio = np.where(
        plan.window(cal.n_days, ("wrong_multiplier",))[:, sl],
        np.nan_to_num(plan.factor, nan=1.0)[:, None],
        1.0,
    )
    billed = np.nansum(state.metered[:, sl] * ratio, axis=1)[:, None]
    lossy = area_loss_rate(used, billed, pop, state.loss)[:, 0][pop.area] > 0.08

    size = np.log10(np.maximum(pop.level, 0.1)) * 0.1
    return (
        1.6 * np.clip(drop, 0, 1) + 1.5 * near_zero + 0.35 * np.minimum(refunds, 4) + 0.8 * lossy + size
        + rng.normal(0, 0.5, pop.n)
    )  # fmt: skip


def finding_kind(rng: np.random.Generator, kinds: np.ndarray) -> np.ndarray:
    """Inspection result that a problem of each kind is written up as."""
    u = rng.random(len(kinds))
    out = np.full(len(kinds), "clean", dtype=object)
    out[np.isin(kinds, THEFT_KINDS)] = "theft"
    out[kinds == "wrong_multiplier"] = "metering_error"
    out[kinds == "long_zero"] = np.where(u < 0.6, "metering_error", "theft")[kinds == "long_zero"]
    out[kinds == "tariff_misclassified"] = np.where(u < 0.7, "tariff_error", "violation")[
        kinds == "tariff_misclassified"
    ]
    out[kinds == "adjustment_abuse"] = "billing_error"
    return out


def _recovery(
    rng: np.random.Generator,
    rows: np.ndarray,
    days: np.ndarray,
    results: np.ndarray,
    state: CurveState,
    pop: Population,
    plan: ProblemPlan,
    adjustments: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray]:
    """Energy and money recovered for each finding (up to two years back)."""
    kwh = np.zeros(len(rows))
    amount = np.zeros(len(rows))
    price = np.array([PRICE_YUAN_PER_KWH[c] for c in pop.category[rows]])
    for j, (i, d, result) in enumerate(zip(rows, days, results, strict=True)):
        if result == "clean":
            continue
        kind = plan.kind[i]
        lo = int(max(plan.start_day[i], d - 730, 0)) if kind != "none" else d
        if kind in METER_TAMPERING:
            lost = np.nansum(state.actual[i, lo : d + 1] - state.metered[i, lo : d + 1])
            kwh[j] = lost * rng.uniform(0.6, 1.0)
            amount[j] = kwh[j] * price[j] * (rng.uniform(1.0, 3.0) if result == "theft" else 1.0)
        elif kind == "wrong_multiplier":
            kwh[j] = np.nansum(state.metered[i, lo : d + 1]) * (1 - plan.factor[i])
            amount[j] = kwh[j] * price[j]
        elif kind == "tariff_misclassified":
            kwh[j] = np.nansum(state.actual[i, max(d - 365, 0) : d + 1])
            gap = PRICE_YUAN_PER_KWH["commercial"] - PRICE_YUAN_PER_KWH["residential"]
            amount[j] = kwh[j] * gap * (2.0 if result == "violation" else 1.0)
        elif kind == "adjustment_abuse":
            booked = adjustments[
                (adjustments["row"] == i) & adjustments["abusive"] & (adjustments["day"] <= d)
            ]
            kwh[j] = -booked["kwh_delta"].sum()
            amount[j] = -booked["amount_delta"].sum()
        else:  # a violation outside the planted problems (capacity overuse, private resale, ...)
            amount[j] = rng.uniform(500, 5000)
    return np.round(kwh, 2), np.round(amount, 2)


def working_days_in_month(rng: np.random.Generator, cal: Calendar, m: int, k: int) -> np.ndarray:
    """Working days (Monday-Friday) of month m."""
    days = np.arange(cal.first_day[m], cal.last_day[m] + 1)
    working = days[cal.days[days].day_of_week < 5]
    return rng.choice(working, k)


def simulate_customer_inspections(
    rng: np.random.Generator,
    pop: Population,
    plan: ProblemPlan,
    cal: Calendar,
    state: CurveState,
    adjustments: pd.DataFrame,
) -> pd.DataFrame:
    """Walk the months; returns one row per inspection (internal positions) and updates
    ``plan.end_day`` and ``state.metered`` where a finding fixed the problem."""
    n = pop.n
    close = np.where(np.isnan(pop.close_day), np.inf, pop.close_day)
    last_inspected = np.full(n, -(10**6))
    records = []
    for m in range(1, cal.n_months):
        first, last = cal.first_day[m], cal.last_day[m]
        live = adjustments[
            ~adjustments["abusive"]
            | (adjustments["day"] <= np.nan_to_num(plan.end_day, nan=np.inf)[adjustments["row"]])
        ]
        eligible = (pop.connect_day <= first) & (close > last) & (last_inspected <= m - COOLDOWN_MONTHS)
        pool = np.flatnonzero(eligible)
        if len(pool) == 0:
            continue
        total = int(round(rng.uniform(*MONTHLY_INSPECTION_SHARE) * len(pool)))
        n_random = int(round(rng.uniform(*RANDOM_SHARE_OF_PICKS) * total))
        n_tip = min(int(rng.poisson(TIPS_PER_CUSTOMER_MONTH * n)), max(total - n_random, 0))
        n_targeted = max(total - n_random - n_tip, 0)

        score = rule_scores(state, pop, plan, cal, live, first - 1, rng)[pool]
        targeted = pool[np.argsort(-score, kind="stable")[:n_targeted]]
        rest = np.setdiff1d(pool, targeted)
        random_pick = rng.choice(rest, min(n_random, len(rest)), replace=False)
        inclusion = len(random_pick) / len(rest) if len(rest) else np.nan
        rest = np.setdiff1d(rest, random_pick)
        active_now = rest[plan.active_on(rest, np.full(len(rest), first))]
        tip_from_problem = rng.random(n_tip) < 0.6
        tips = np.concatenate([
            rng.choice(active_now, min(int(tip_from_problem.sum()), len(active_now)), replace=False),
            rng.choice(rest, int((~tip_from_problem).sum()), replace=False),
        ]).astype(int)  # fmt: skip
        tips = np.unique(tips)

        rows = np.concatenate([targeted, random_pick, tips]).astype(int)
        selection = np.repeat(["targeted", "random", "tip"], [len(targeted), len(random_pick), len(tips)])
        days = working_days_in_month(rng, cal, m, len(rows))
        active = plan.active_on(rows, days)
        found = active & (rng.random(len(rows)) < DETECTION_PROBABILITY)
        false = ~active & (rng.random(len(rows)) < FALSE_FINDING_PROBABILITY)
        result = np.where(found, finding_kind(rng, plan.kind[rows]), "clean").astype(object)
        result[false] = "violation"
        kwh, amount = _recovery(rng, rows, days, np.where(found | false, result, "clean"),
                                state, pop, plan, live)  # fmt: skip

        fixed = found & (rng.random(len(rows)) < FIXED_AFTER_FINDING)
        for i, d in zip(rows[fixed], days[fixed], strict=True):
            if np.isnan(plan.end_day[i]) or plan.end_day[i] > d:
                plan.end_day[i] = d
                state.metered[i, d + 1 :] = state.actual[i, d + 1 :]
        last_inspected[rows] = m
        records.append(
            pd.DataFrame(
                {
                    "row": rows,
                    "day": days,
                    "selection": selection,
                    "inclusion_probability": np.where(selection == "random", inclusion, np.nan),
                    "result": result,
                    "recovered_kwh": kwh,
                    "recovered_amount": amount,
                    "recorded_day": days + rng.integers(5, 46, len(rows)),
                }
            )  # fmt: skip
        )
    if not records:
        return pd.DataFrame(columns=INSPECTION_COLUMNS)
    return pd.concat(records, ignore_index=True)
