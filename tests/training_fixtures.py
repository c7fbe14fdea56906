"""Tiny hand-made tables and a stub feature builder for the training tests.

The stub builder gives every customer one numeric feature whose value can be worked out by hand:
``signal = customer number + as_of month / 100`` (customer C007 as of 2024-03 -> 7.03), plus the
two category columns the real builder always emits. Even customer numbers are
"risky"; an inspection of a risky customer is a finding, of any other customer it is clean.
"""

from __future__ import annotations

import pandas as pd

from gridaudit.months import month_end, parse_month


def customers_table(n: int = 40) -> pd.DataFrame:
    ids = [f"C{i:03d}" for i in range(n)]
    return pd.DataFrame(
        {
            "customer_id": ids,
            "tariff_category": ["residential" if i % 3 else "commercial" for i in range(n)],
            "area_id": [f"A{i % 4}" for i in range(n)],
            "connect_date": pd.to_datetime(["2020-01-01"] * n),
            "name": [f"person {i}" for i in range(n)],
        }
    )


MONTHS = ("2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06")


def inspections_table(months=MONTHS, per_month=20, n_customers=40):
    """``per_month`` inspections on day 10 of each month; inspection n targets customer
    number 7n mod n_customers (no repeats within n_customers inspections when 7 does not divide
    it); even customer numbers -> theft, odd -> clean."""
    rows = []
    n = 0
    for month in months:
        day = parse_month(month).to_timestamp() + pd.Timedelta(days=9)
        for j in range(per_month):
            number = (n * 7) % n_customers
            rows.append(
                {
                    "inspection_id": f"I{n:04d}",
                    "target_type": "customer",
                    "target_id": f"C{number:03d}",
                    "date": day,
                    "result": "theft" if number % 2 == 0 else "clean",
                    "recovered_amount": 100.0 * (number % 2 == 0),
                    "selection": "random" if j % 5 == 0 else "targeted",
                    "inclusion_probability": 0.1 if j % 5 == 0 else None,
                    "recorded_date": pd.NaT,
                }
            )
            n += 1
    frame = pd.DataFrame(rows)
    frame["recorded_date"] = pd.to_datetime(frame["recorded_date"])
    return frame


def tiny_tables(n_customers: int = 40, **kwargs) -> dict[str, pd.DataFrame]:
    return {
        "customers": customers_table(n_customers),
        "inspections": inspections_table(n_customers=n_customers, **kwargs),
    }


class StubBuilder:
    """Stands in for CustomerFeatureBuilder: deterministic features, records the months asked."""

    def __init__(self, tables: dict[str, pd.DataFrame]):
        self.customers = tables["customers"]
        self.months: list[pd.Period] = []

    def build(self, as_of) -> pd.DataFrame:
        month = parse_month(as_of)
        self.months.append(month)
        known = self.customers.loc[~(self.customers["connect_date"] > month_end(month))]
        ids = known["customer_id"].astype(str)
        number = ids.str[1:].astype(int).to_numpy()
        frame = pd.DataFrame(
            {
                "tariff_category": pd.Categorical(known["tariff_category"].to_numpy()),
                "area_id": pd.Categorical(known["area_id"].to_numpy()),
                "signal": number + month.month / 100,
                "is_even": (number % 2 == 0).astype(float),
            },
            index=pd.Index(ids, name="customer_id"),
        )
        return frame
