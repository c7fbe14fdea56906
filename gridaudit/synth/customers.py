"""The customer register: tariff category, transformer area, capacity, multiplier, dates, names."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import names
from .calendar import Calendar
from .params import CATEGORIES, CATEGORY_SHARES, DAILY_LEVEL

LV_CT_RATIOS = np.array([20.0, 30.0, 40.0, 60.0, 80.0, 120.0, 200.0])
HV_MULTIPLIERS = np.array([1000.0, 2000.0, 3000.0, 4000.0, 6000.0])  # 10 kV: PT 100 x CT
INDUSTRY_CODES = {
    "residential": ["T97"],
    "commercial": ["F51", "F52", "H61", "H62", "L72", "O80"],
    "large_industrial": ["C13", "C17", "C26", "C30", "C31", "C33"],
    "agricultural": ["A01", "A03", "A05"],
    "other": ["P83", "Q84", "S93", "N77"],
}


@dataclass
class Population:
    """Per-customer numpy arrays the generators share (row i = customer i)."""

    customer_id: np.ndarray  # str
    category: np.ndarray  # tariff category on the account (str)
    profile: np.ndarray  # category whose consumption pattern the customer really has
    area: np.ndarray  # area position
    level: np.ndarray  # median daily kWh of the true consumption
    multiplier: np.ndarray  # true combined CT/PT ratio
    capacity: np.ndarray  # contract capacity, kVA
    connect_day: np.ndarray  # day position (negative = before the period)
    close_day: np.ndarray  # day position, NaN = open
    n_areas: int

    @property
    def n(self) -> int:
        return len(self.customer_id)

    def in_service(self, n_days: int) -> np.ndarray:
        """customers x days: True where the account is connected and not yet closed."""
        day = np.arange(n_days)[None, :]
        close = np.where(np.isnan(self.close_day), np.inf, self.close_day)[:, None]
        return (day >= self.connect_day[:, None]) & (day <= close)


def area_count(n_customers: int) -> int:
    """About 25 customers per transformer area, 3 to 300 areas."""
    return int(np.clip(round(n_customers / 25), 3, 300))


def make_customers(rng: np.random.Generator, n: int, cal: Calendar) -> tuple[pd.DataFrame, Population]:
    cats = np.asarray(CATEGORIES)[rng.choice(len(CATEGORIES), n, p=CATEGORY_SHARES)]
    n_areas = area_count(n)
    # large industry sits in a few industrial-park areas, everyone else in village/town areas
    n_park = max(1, round(0.1 * n_areas))
    town_weight = rng.gamma(2.0, 1.0, n_areas - n_park)
    town = n_park + rng.choice(n_areas - n_park, n, p=town_weight / town_weight.sum())
    park = rng.integers(0, n_park, n)
    area = np.where(cats == "large_industrial", park, town)

    med = np.array([DAILY_LEVEL[c][0] for c in cats])
    sig = np.array([DAILY_LEVEL[c][1] for c in cats])
    level = med * np.exp(sig * rng.standard_normal(n))

    capacity = np.select(
        [cats == "residential", cats == "commercial", cats == "large_industrial", cats == "agricultural"],
        [
            rng.choice([4.0, 6.0, 8.0, 10.0], n),
            np.clip(np.round(level * 0.9 / 5) * 5, 10, 800),
            rng.choice([315.0, 400.0, 630.0, 800.0, 1000.0, 1250.0, 2000.0, 3150.0], n),
            rng.choice([10.0, 20.0, 30.0, 50.0, 80.0], n),
        ],
        np.clip(np.round(level * 1.2 / 5) * 5, 10, 500),
    )
    voltage = np.select(
        [cats == "residential", cats == "large_industrial", capacity >= 315],
        [np.where(rng.random(n) < 0.85, 0.22, 0.38), rng.choice([10.0, 35.0], n, p=[0.85, 0.15]), 10.0],
        0.38,
    )
    multiplier = np.ones(n)
    lv_ct = (cats != "residential") & (capacity >= 100) & (voltage < 1)
    multiplier[lv_ct] = rng.choice(LV_CT_RATIOS, lv_ct.sum())
    hv = voltage >= 10
    multiplier[hv] = rng.choice(HV_MULTIPLIERS, hv.sum())

    # service dates: most accounts are old, some connect or close during the period
    history_start = (pd.Timestamp("1995-01-01") - cal.start).days
    new = rng.random(n) < 0.06
    connect_day = np.where(
        new, rng.integers(0, max(1, cal.n_days - 60), n), rng.integers(history_start, -30, n)
    )
    closes = (rng.random(n) < 0.02) & (connect_day < cal.n_days - 150)
    low = np.minimum(np.maximum(connect_day + 90, 0), cal.n_days - 1)
    close_day = np.where(closes, rng.integers(low, cal.n_days), np.nan).astype(float)

    customer_id = (3_100_000_000 + rng.choice(9_000_000, n, replace=False) * 7 + 1).astype(str)
    industry = np.empty(n, dtype=object)
    for cat, codes in INDUSTRY_CODES.items():
        mask = cats == cat
        industry[mask] = np.asarray(codes, dtype=object)[rng.integers(0, len(codes), mask.sum())]

    frame = pd.DataFrame(
        {
            "customer_id": pd.array(customer_id, dtype="str"),
            "tariff_category": pd.array(cats, dtype="str"),
            "area_id": pd.array(np.char.add("TA-", np.char.zfill((area + 1).astype(str), 4)), dtype="str"),
            "contract_capacity_kva": capacity,
            "meter_multiplier": multiplier,
            "voltage_kv": voltage,
            "industry_code": pd.array(industry, dtype="str"),
            "connect_date": cal.to_dates(connect_day).as_unit("us"),
            "closed_date": cal.to_dates(close_day).as_unit("us"),
            "name": pd.array(names.account_names(rng, cats), dtype="str"),
            "address": pd.array(names.addresses(rng, n), dtype="str"),
            "phone": pd.array(names.phones(rng, n), dtype="str"),
        }
    )
    pop = Population(
        customer_id=customer_id.astype(object),
        category=cats.astype(object),
        profile=cats.astype(object).copy(),
        area=area,
        level=level,
        multiplier=multiplier,
        capacity=capacity,
        connect_day=connect_day,
        close_day=close_day,
        n_areas=n_areas,
    )
    return frame, pop
