"""True daily consumption: level x season x weekday x holidays x trend x noise, per customer.

The curve is what the customer really uses; theft and meter faults are applied later
(problems.py) to get what the meter records, and collection gaps (``collection_gaps``) to get
what the collection system delivers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import Calendar
from .customers import Population
from .params import (
    CATEGORIES,
    DAILY_NOISE_SIGMA,
    SPRING_FESTIVAL,
    SPRING_FESTIVAL_FACTOR,
    WEEKLY_SHAPE,
)


def _bump(doy: np.ndarray, centre: float, width: float) -> np.ndarray:
    """Smooth seasonal bump on the day of year, wrapping around new year."""
    dist = np.minimum(np.abs(doy - centre), 365 - np.abs(doy - centre))
    return np.exp(-((dist / width) ** 2))


def seasonal_shape(days: pd.DatetimeIndex) -> np.ndarray:
    """categories x days, mean about 1: summer and winter peaks for homes, irrigation for farms."""
    doy = days.day_of_year.to_numpy().astype(float)
    summer, winter = _bump(doy, 205, 30), _bump(doy, 15, 28)
    shapes = {
        "residential": 1 + 0.45 * summer + 0.30 * winter,
        "commercial": 1 + 0.30 * summer + 0.10 * winter,
        "large_industrial": 1 + 0.05 * summer,
        "agricultural": 0.25 + 1.6 * _bump(doy, 150, 45) + 0.8 * _bump(doy, 230, 25),
        "other": 1 + 0.15 * summer + 0.10 * winter,
    }
    out = np.vstack([shapes[c] for c in CATEGORIES])
    return out / out.mean(axis=1, keepdims=True)


def holiday_shape(days: pd.DatetimeIndex) -> np.ndarray:
    """categories x days: the Spring Festival fortnight (3 days before to 10 after)."""
    festival = pd.DatetimeIndex(pd.to_datetime(list(SPRING_FESTIVAL)))
    offset = (days.to_numpy()[:, None] - festival.to_numpy()[None, :]) / np.timedelta64(1, "D")
    in_festival = ((offset >= -3) & (offset <= 10)).any(axis=1)
    factors = np.array([SPRING_FESTIVAL_FACTOR[c] for c in CATEGORIES])
    return np.where(in_festival[None, :], factors[:, None], 1.0)


def true_consumption(rng: np.random.Generator, pop: Population, cal: Calendar) -> np.ndarray:
    """customers x days kWh actually used; NaN outside the service period.

    About 3% of homes also stand empty for a spell (2-8 months at ~2% of their usual use):
    legitimate long low-consumption runs that rules of thumb confuse with problems.
    """
    n, n_days = pop.n, cal.n_days
    code = pd.Categorical(pop.profile, categories=CATEGORIES).codes
    weekly = np.array([WEEKLY_SHAPE[c] for c in CATEGORIES])[:, cal.days.day_of_week.to_numpy()]
    shape = seasonal_shape(cal.days) * holiday_shape(cal.days) * weekly  # categories x days
    sigma = np.array([DAILY_NOISE_SIGMA[c] for c in CATEGORIES])[code]

    years = np.arange(n_days)[None, :] / 365.0
    trend = 1 + rng.normal(0, 0.06, n)[:, None] * years
    noise = np.exp(sigma[:, None] * rng.standard_normal((n, n_days)) - sigma[:, None] ** 2 / 2)
    kwh = pop.level[:, None] * shape[code] * trend * noise

    vacant = (pop.profile == "residential") & (rng.random(n) < 0.03)
    start = rng.integers(-60, n_days, n)
    length = rng.integers(60, 240, n)
    day = np.arange(n_days)[None, :]
    spell = vacant[:, None] & (day >= start[:, None]) & (day < (start + length)[:, None])
    kwh = np.where(spell, kwh * 0.02, kwh)
    kwh = np.round(np.clip(kwh, 0, None), 2)
    kwh[~pop.in_service(n_days)] = np.nan
    return kwh


def collection_gaps(rng: np.random.Generator, pop: Population, n_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Days the collection system failed: (missing as empty value, missing as absent row).

    Single failed days (1-3% per customer, fewer for large industry) arrive as rows with an empty
    value; about 12% of customers also lose a 5-40 day stretch, whose rows are simply absent.
    """
    n = pop.n
    rate = rng.beta(0.9, 60, n) * np.where(pop.category == "large_industrial", 0.3, 1.0)
    empty = rng.random((n, n_days)) < rate[:, None]
    has_gap = rng.random(n) < 0.12
    start = rng.integers(0, n_days, n)
    length = rng.integers(5, 41, n)
    day = np.arange(n_days)[None, :]
    absent = has_gap[:, None] & (day >= start[:, None]) & (day < (start + length)[:, None])
    return empty & ~absent, absent
