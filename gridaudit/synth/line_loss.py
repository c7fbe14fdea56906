"""Transformer-area line loss: supplied = (energy really used) / (1 - technical loss rate).

Billed energy is what the meters record times the billing multiplier, summed per calendar month
(as line-loss statistics do with daily collection data). Theft, stopped meters and wrong
multipliers all leave energy supplied but unbilled, so the loss rate rises with them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import Calendar
from .customers import Population


def technical_loss_rates(rng: np.random.Generator, n_areas: int) -> np.ndarray:
    """Share of supplied energy lost in wires and transformers, 3-6% per area."""
    return rng.uniform(0.03, 0.06, n_areas)


def monthly_sums(daily: np.ndarray, cal: Calendar) -> np.ndarray:
    """customers x days -> customers x months (NaN counted as 0)."""
    return np.add.reduceat(np.nan_to_num(daily), cal.first_day, axis=1)


def area_month_sums(monthly: np.ndarray, area: np.ndarray, n_areas: int) -> np.ndarray:
    """customers x months -> areas x months."""
    out = np.zeros((n_areas, monthly.shape[1]))
    np.add.at(out, area, monthly)
    return out


def area_loss_rate(used: np.ndarray, billed: np.ndarray, pop: Population, loss: np.ndarray) -> np.ndarray:
    """areas (x months): 1 - billed / supplied from customers' used and billed kWh."""
    supplied = area_month_sums(used, pop.area, pop.n_areas) / (1 - loss[:, None])
    sold = area_month_sums(billed, pop.area, pop.n_areas)
    return 1 - np.divide(sold, supplied, out=np.ones_like(sold), where=supplied > 0)


def make_area_line_loss(
    rng: np.random.Generator,
    pop: Population,
    cal: Calendar,
    used_daily: np.ndarray,
    billed_daily: np.ndarray,
    loss: np.ndarray,
) -> pd.DataFrame:
    used = area_month_sums(monthly_sums(used_daily, cal), pop.area, pop.n_areas)
    billed = area_month_sums(monthly_sums(billed_daily, cal), pop.area, pop.n_areas)
    noise = rng.normal(1.0, 0.004, used.shape)
    supplied = used / (1 - loss[:, None]) * noise
    areas = np.char.add("TA-", np.char.zfill(np.arange(1, pop.n_areas + 1).astype(str), 4))
    frame = pd.DataFrame(
        {
            "area_id": pd.array(np.repeat(areas, cal.n_months), dtype="str"),
            "month": pd.array(np.tile(cal.months.strftime("%Y-%m"), pop.n_areas), dtype="str"),
            "supplied_kwh": np.round(supplied.ravel(), 1),
            "billed_kwh": np.round(billed.ravel(), 1),
        }
    )
    return frame[frame["supplied_kwh"] > 0].reset_index(drop=True)
