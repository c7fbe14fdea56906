"""Which customers carry a problem, from when, and what it does to the metered curve.

Six theft kinds follow the false-data-injection types used with the SGCC data (Jokar et al.
2016; Zheng et al. 2018), applied to daily totals: 1) x*alpha, alpha in 0.1-0.8; 2) zero during
intervals (meter bypassed for spells of days); 3) a random factor per day; 4) a flattened value
(alpha x the mean); 5) the mean times a random factor per day; 6) reversed order within each week.
Daily data has no time-of-use tariff, so a pure reordering would steal nothing: kinds 4 and 6
also carry a reduction factor so that every theft removes energy (and shows in line loss).

Day windows are inclusive: a problem is in effect from ``start_day`` to ``end_day`` (NaN end =
still going). Inspections may later move ``end_day`` forward to the day a problem was found.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .calendar import Calendar
from .customers import Population
from .params import (
    ADJUSTMENT_ABUSE_SHARE,
    LONG_ZERO_SHARE,
    MISCLASSIFIED_LEVEL,
    TARIFF_MISCLASSIFIED_SHARE_OF_RESIDENTIAL,
    THEFT_KINDS,
    THEFT_SHARE,
    WRONG_MULTIPLIER_SHARE_OF_CT,
)

PROBLEMS = ("none", *THEFT_KINDS, "wrong_multiplier", "tariff_misclassified", "long_zero", "adjustment_abuse")
METER_TAMPERING = (*THEFT_KINDS, "long_zero")  # problems that change what the meter records


@dataclass
class ProblemPlan:
    """Per-customer problem arrays (row i = customer i)."""

    kind: np.ndarray  # one of PROBLEMS
    start_day: np.ndarray  # float day position, NaN = no problem
    end_day: np.ndarray  # float day position (last day in effect), NaN = ongoing
    factor: np.ndarray  # planted share of energy that still gets metered / billed
    bill_multiplier: np.ndarray  # multiplier the billing system uses while the problem lasts

    def copy(self) -> ProblemPlan:
        return ProblemPlan(**{f.name: getattr(self, f.name).copy() for f in dataclasses.fields(self)})

    def window(self, n_days: int, kinds: tuple[str, ...]) -> np.ndarray:
        """customers x days: True where a problem of ``kinds`` is in effect."""
        day = np.arange(n_days)[None, :]
        start = np.where(np.isin(self.kind, kinds), self.start_day, np.inf)[:, None]
        end = np.where(np.isnan(self.end_day), np.inf, self.end_day)[:, None]
        return (day >= start) & (day <= end)

    def active_on(self, rows: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Whether customer ``rows[j]`` has a problem in effect on ``day[j]``."""
        end = np.where(np.isnan(self.end_day[rows]), np.inf, self.end_day[rows])
        return (self.kind[rows] != "none") & (self.start_day[rows] <= day) & (day <= end)


def _uniform_day(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    high = np.maximum(high, low + 1)
    return np.floor(low + rng.random(len(low)) * (high - low))


def assign_problems(
    rng: np.random.Generator, pop: Population, cal: Calendar
) -> tuple[ProblemPlan, Population]:
    """Plant problems (~7% of customers); returns the plan and the population with the real
    consumption profile of residential accounts that actually run a business."""
    n, n_days = pop.n, cal.n_days
    close = np.where(np.isnan(pop.close_day), n_days + 365, pop.close_day)
    eligible = (pop.connect_day < n_days - 90) & (close > 90)
    kind = np.full(n, "none", dtype=object)

    ct = pop.multiplier > 1
    kind[eligible & ct & (rng.random(n) < WRONG_MULTIPLIER_SHARE_OF_CT)] = "wrong_multiplier"
    res = pop.category == "residential"
    free = eligible & (kind == "none")
    kind[free & res & (rng.random(n) < TARIFF_MISCLASSIFIED_SHARE_OF_RESIDENTIAL)] = "tariff_misclassified"

    theft_p = THEFT_SHARE * np.where(pop.category == "large_industrial", 0.5, 1.0)
    draw = rng.random(n)
    free = eligible & (kind == "none")
    theft = free & (draw < theft_p)
    kind[theft] = np.asarray(THEFT_KINDS, dtype=object)[rng.integers(0, len(THEFT_KINDS), n)][theft]
    kind[free & (draw >= theft_p) & (draw < theft_p + LONG_ZERO_SHARE)] = "long_zero"
    lo = theft_p + LONG_ZERO_SHARE
    kind[free & (draw >= lo) & (draw < lo + ADJUSTMENT_ABUSE_SHARE)] = "adjustment_abuse"

    first_ok = np.maximum(pop.connect_day + 30, -365).astype(float)
    last_ok = np.minimum(close - 30, n_days - 30).astype(float)
    in_period = np.maximum(first_ok, 30)
    start = np.full(n, np.nan)
    end = np.full(n, np.nan)
    is_theft = np.isin(kind, THEFT_KINDS)
    start[is_theft] = _uniform_day(rng, first_ok, last_ok)[is_theft]
    stops = is_theft & (rng.random(n) < 0.15)
    end[stops] = (start + rng.integers(60, 300, n))[stops]
    for name in ("wrong_multiplier", "long_zero"):
        mask = kind == name
        start[mask] = _uniform_day(rng, in_period, last_ok)[mask]
    abuse = kind == "adjustment_abuse"  # some clerks were at it before the data begins
    start[abuse] = _uniform_day(rng, np.maximum(first_ok, -180), last_ok)[abuse]
    long_zero = kind == "long_zero"
    end[long_zero] = (start + rng.integers(90, 400, n))[long_zero]
    misclassified = kind == "tariff_misclassified"
    start[misclassified] = pop.connect_day[misclassified]
    end[end > n_days - 1] = np.nan

    factor = np.full(n, np.nan)
    bill_multiplier = pop.multiplier.copy()
    wrong = kind == "wrong_multiplier"
    wrong_value = np.select(
        [rng.random(n) < 0.4, rng.random(n) < 0.6], [pop.multiplier / 2, pop.multiplier / 4], 1.0
    )
    bill_multiplier[wrong] = wrong_value[wrong]
    factor[wrong] = (bill_multiplier / pop.multiplier)[wrong]

    med, sigma = MISCLASSIFIED_LEVEL
    level = np.where(misclassified, med * np.exp(sigma * rng.standard_normal(n)), pop.level)
    profile = np.where(misclassified, "commercial", pop.profile).astype(object)
    plan = ProblemPlan(kind, start, end, factor, bill_multiplier)
    return plan, dataclasses.replace(pop, level=level, profile=profile)


def _row_mean(x: np.ndarray) -> np.ndarray:
    """Mean of each row over its non-NaN values (NaN for an all-NaN row), without warnings."""
    seen = ~np.isnan(x)
    total = np.where(seen, x, 0.0).sum(axis=1, keepdims=True)
    count = seen.sum(axis=1, keepdims=True)
    return np.divide(total, count, out=np.full_like(total, np.nan), where=count > 0)


def tampered_curve(rng: np.random.Generator, actual: np.ndarray, plan: ProblemPlan) -> np.ndarray:
    """What the meter would record if every problem ran its planned course (fills plan.factor
    for the meter problems). Outside each problem's window the values are the true ones."""
    n, n_days = actual.shape
    out = actual.copy()
    day = np.arange(n_days)[None, :]
    for name in METER_TAMPERING:
        rows = np.flatnonzero(plan.kind == name)
        if len(rows) == 0:
            continue
        x = actual[rows]
        k = len(rows)
        start = plan.start_day[rows][:, None]
        end = np.where(np.isnan(plan.end_day[rows]), np.inf, plan.end_day[rows])[:, None]
        window = (day >= start) & (day <= end)
        mean = _row_mean(np.where(window, x, np.nan))
        mean = np.where(np.isnan(mean), _row_mean(x), mean)
        alpha = rng.uniform(0.1, 0.8, (k, 1))
        if name == "theft_scaling":
            y, share = x * alpha, alpha[:, 0]
        elif name == "theft_zero_interval":
            on = rng.integers(3, 16, (k, 1))
            off = rng.integers(2, 11, (k, 1))
            y = np.where((day - start) % (on + off) < on, 0.0, x)
            share = (off / (on + off))[:, 0]
        elif name == "theft_random_daily":
            y, share = x * rng.uniform(0.1, 0.8, (k, n_days)), np.full(k, 0.45)
        elif name == "theft_flat":
            alpha = rng.uniform(0.4, 0.8, (k, 1))
            y, share = np.where(np.isnan(x), np.nan, alpha * mean), alpha[:, 0]
        elif name == "theft_mean_random":
            y = np.where(np.isnan(x), np.nan, mean * rng.uniform(0.1, 1.0, (k, n_days)))
            share = np.full(k, 0.55)
        elif name == "theft_reversed":
            alpha = rng.uniform(0.6, 0.9, (k, 1))
            offset = day - start
            block_start = start + 7 * np.floor(offset / 7)
            block_end = np.minimum(np.minimum(block_start + 6, end), n_days - 1)
            source = np.clip(block_start + block_end - day, 0, n_days - 1)
            source = np.where(np.isfinite(source), source, 0).astype(int)
            y, share = np.take_along_axis(x, source, axis=1) * alpha, alpha[:, 0]
            y = np.where(np.isnan(x), np.nan, y)
        else:  # long_zero: the meter stops (or is bypassed) while the customer keeps using power
            y, share = np.where(np.isnan(x), np.nan, 0.0), np.zeros(k)
        out[rows] = np.where(window, np.round(y, 2), x)
        plan.factor[rows] = share
    return out
