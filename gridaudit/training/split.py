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

    @property
    def undated(self) -> bool:
        """True when the split is by target, not by time (labels without dates)."""
        return pd.isna(self.validation_start)

    def summary(self) -> dict:
        return {
            "split": "stratified by customer (labels carry no dates)" if self.undated else "time",
            "n_train": int(self.train.sum()),
            "n_gap": int(self.gap.sum()),
            "n_validation": int(self.validation.sum()),
            "validation_start": "" if self.undated else str(self.validation_start.date()),
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


def undated_split(y, groups, seed: int = 7, n_folds: int = 5) -> TimeSplit:
    """Hold out one fold of a stratified split *by target*, for labels that carry no detection
    date (the public STEG and SGCC sets give one label per customer, all on one day).

    Rows are never split at random: all examples of a target (or of one duplicate group) fall on
    the same side, and the share of findings is kept on both sides.
    """
    from sklearn.model_selection import StratifiedGroupKFold

    y = np.asarray(y, dtype=int)
    codes = pd.factorize(pd.Series(groups).astype(str))[0]
    folds = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    _, held = next(folds.split(np.zeros(len(y)), y, codes))
    validation = np.zeros(len(y), dtype=bool)
    validation[held] = True
    return TimeSplit(~validation, validation, np.zeros(len(y), dtype=bool), pd.NaT, ())


def split_examples(
    dates: pd.Series, known_dates: pd.Series, y, groups, validation_months: int, seed: int = 7
) -> TimeSplit:
    """The time split; or, when every inspection lies in one month (labels without dates), the
    stratified split by target of :func:`undated_split`."""
    months = pd.to_datetime(dates).dt.to_period("M")
    if months.nunique() == 1 and len(months) > 0:
        return undated_split(y, groups, seed)
    return time_split(dates, known_dates, validation_months)
