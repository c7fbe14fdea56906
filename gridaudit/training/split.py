"""Time-based splits: train | delay | validation, never random rows.

The latest ``validation_months`` inspection months form the validation block. A training example
must have had its label *known* (recorded_date, or date + label delay) before the first day of
the block; older inspections whose results were written up later fall in the gap and are used
for neither (the fraud-detection handbook's train | delay | test).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError


class NotEnoughHistoryError(InputError, ValueError):
    """Too few inspection months to hold some out in time."""


@dataclass(frozen=True)
class TimeSplit:
    train: np.ndarray  # bool mask over the examples
    validation: np.ndarray  # bool mask
    gap: np.ndarray  # bool mask: before the block, but label known only after it starts
    validation_start: pd.Timestamp  # first day of the validation block
    validation_months: tuple[pd.Period, ...]

    def summary(self) -> dict:
        return {
            "n_train": int(self.train.sum()),
            "n_gap": int(self.gap.sum()),
            "n_validation": int(self.validation.sum()),
            "validation_start": str(self.validation_start.date()),
            "validation_block": [str(m) for m in self.validation_months],
        }


def train_mask_before(known_dates: pd.Series, start: pd.Timestamp) -> np.ndarray:
    """Examples whose label was known strictly before ``start`` (the first day of a test block)."""
    return (pd.to_datetime(known_dates) < start).to_numpy()


def time_split(dates: pd.Series, known_dates: pd.Series, validation_months: int) -> TimeSplit:
    """Hold out the latest ``validation_months`` months of inspections (by inspection date)."""
    if validation_months < 1:
        raise ValueError("validation_months must be at least 1")
    months = pd.to_datetime(dates).dt.to_period("M")
    distinct = sorted(months.unique())
    if len(distinct) <= validation_months:
        raise NotEnoughHistoryError(
            f"the inspections cover {len(distinct)} month(s); holding out the last "
            f"{validation_months} for validation needs at least {validation_months + 1} "
            f"(lower validation_months in gridaudit.toml)"
        )
    held = tuple(distinct[-validation_months:])
    start = held[0].to_timestamp(how="start")
    validation = (months >= held[0]).to_numpy()
    train = ~validation & train_mask_before(known_dates, start)
    gap = ~validation & ~train
    return TimeSplit(train, validation, gap, start, held)
