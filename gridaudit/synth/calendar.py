"""The days and months a synthetic data set covers, as integer positions the generators share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..months import month_end, parse_month


@dataclass(frozen=True)
class Calendar:
    """Day and month grid: day ``d`` is ``days[d]``; month ``m`` spans ``first_day[m]..last_day[m]``."""

    days: pd.DatetimeIndex
    months: pd.PeriodIndex
    day_month: np.ndarray  # month position of each day
    first_day: np.ndarray  # first day position of each month
    last_day: np.ndarray  # last day position of each month

    @property
    def n_days(self) -> int:
        return len(self.days)

    @property
    def n_months(self) -> int:
        return len(self.months)

    @property
    def start(self) -> pd.Timestamp:
        return self.days[0]

    @property
    def end(self) -> pd.Timestamp:
        return self.days[-1]

    def to_dates(self, day_positions: np.ndarray) -> pd.DatetimeIndex:
        """Day positions (may lie outside the grid, NaN = none) -> dates."""
        pos = np.asarray(day_positions, dtype=float)
        return pd.DatetimeIndex(self.start + pd.to_timedelta(pos, unit="D"))


def make_calendar(end_month: str, months: int) -> Calendar:
    """The ``months`` calendar months ending with ``end_month``."""
    last = parse_month(end_month)
    first = last - (months - 1)
    days = pd.date_range(first.to_timestamp(how="start"), month_end(last), freq="D")
    periods = pd.period_range(first, last, freq="M")
    day_month = ((days.year - first.year) * 12 + (days.month - first.month)).to_numpy()
    first_day = np.searchsorted(day_month, np.arange(months), side="left")
    last_day = np.searchsorted(day_month, np.arange(months), side="right") - 1
    return Calendar(days, periods, day_month, first_day, last_day)
