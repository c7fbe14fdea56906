"""Tiny hand-made work orders, their inspections and a stub builder for the work-order training tests.

Order O<n> (n = 0..n_orders-1) is on customer C<n mod 10>, created on day 3 of month
``CREATED[n mod 3]``. The stub builder gives each order created by the as-of month's end two
features worked out by hand: ``kind`` (even orders: tariff_change, odd: other) and
``late_days = n + as_of month / 100`` (O007 as of 2024-03 -> 7.03), and ``is_even``.
Even orders are "risky": their inspection is a process_error, the others clean.
"""

from __future__ import annotations

import pandas as pd

from gridaudit.contract import WORK_ORDER_KINDS
from gridaudit.months import month_end, parse_month

CREATED = ("2023-11", "2023-12", "2024-01")
MONTHS = ("2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06")


def orders_table(n_orders: int = 200) -> pd.DataFrame:
    created = [
        parse_month(CREATED[n % 3]).to_timestamp() + pd.Timedelta(days=2, hours=9) for n in range(n_orders)
    ]
    return pd.DataFrame(
        {
            "order_id": [f"O{n:03d}" for n in range(n_orders)],
            "customer_id": [f"C{n % 10:03d}" for n in range(n_orders)],
            "kind": ["tariff_change" if n % 2 == 0 else "other" for n in range(n_orders)],
            "created_at": pd.to_datetime(created),
            "completed_at": pd.to_datetime(created) + pd.Timedelta(days=4),
            "operator_id": "u1",
            "approver_id": "a1",
        }
    )


def order_inspections(months=MONTHS, per_month: int = 20, n_orders: int = 200) -> pd.DataFrame:
    """``per_month`` inspections on day 10 of each month; inspection i targets order 7i mod
    n_orders; even orders -> process_error; every fifth a random pick with probability 0.25."""
    rows = []
    i = 0
    for month in months:
        day = parse_month(month).to_timestamp() + pd.Timedelta(days=9)
        for j in range(per_month):
            number = (i * 7) % n_orders
            rows.append(
                {
                    "inspection_id": f"W{i:04d}",
                    "target_type": "work_order",
                    "target_id": f"O{number:03d}",
                    "date": day,
                    "result": "process_error" if number % 2 == 0 else "clean",
                    "recovered_amount": 50.0 * (number % 2 == 0),
                    "selection": "random" if j % 5 == 0 else "targeted",
                    "inclusion_probability": 0.25 if j % 5 == 0 else None,
                    "recorded_date": pd.NaT,
                }
            )
            i += 1
    frame = pd.DataFrame(rows)
    frame["recorded_date"] = pd.to_datetime(frame["recorded_date"])
    return frame


def order_tables(n_orders: int = 200, **kwargs) -> dict[str, pd.DataFrame]:
    customers = pd.DataFrame(
        {
            "customer_id": [f"C{i:03d}" for i in range(10)],
            "tariff_category": "residential",
            "area_id": [f"A{i % 2}" for i in range(10)],
        }
    )
    return {
        "customers": customers,
        "work_orders": orders_table(n_orders),
        "inspections": order_inspections(n_orders=n_orders, **kwargs),
    }


class StubOrderBuilder:
    """Stands in for WorkOrderFeatureBuilder: deterministic features, records the months asked."""

    def __init__(self, tables: dict[str, pd.DataFrame]):
        self.orders = tables["work_orders"]
        self.months: list[pd.Period] = []

    def build(self, as_of) -> pd.DataFrame:
        month = parse_month(as_of)
        self.months.append(month)
        known = self.orders.loc[self.orders["created_at"] <= month_end(month) + pd.Timedelta(hours=23)]
        number = known["order_id"].str[1:].astype(int).to_numpy()
        return pd.DataFrame(
            {
                "kind": pd.Categorical(known["kind"].to_numpy(), categories=list(WORK_ORDER_KINDS)),
                "late_days": number + month.month / 100,
                "is_even": (number % 2 == 0).astype(float),
            },
            index=pd.Index(known["order_id"].astype(str).to_numpy(), name="order_id"),
        )
