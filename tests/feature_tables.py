"""Fabricated contract tables for feature tests and the feature benchmark (not a test module).

Random but seeded: enough of every table (curve with gaps and zero runs, bills, adjustments,
work orders, inspections with and without recorded_date, area line loss) that every feature
family produces values. Not a realistic simulation; ``gridaudit.synth`` is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CATEGORIES = np.array(["residential", "commercial", "large_industrial", "agricultural", "other"])


def fabricate_tables(
    n_customers: int = 40, start: str = "2023-01-01", n_days: int = 540, n_areas: int = 4, seed: int = 0
) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = np.array([f"C{i:05d}" for i in range(n_customers)])
    days = pd.date_range(start, periods=n_days, freq="D")
    areas = np.array([f"A{a:03d}" for a in range(n_areas)])
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "tariff_category": rng.choice(CATEGORIES[:2], n_customers, p=[0.7, 0.3]),
            "area_id": rng.choice(areas, n_customers),
            "contract_capacity_kva": rng.choice([4.0, 8.0, 50.0, np.nan], n_customers),
            "meter_multiplier": rng.choice([1.0, 1.0, 30.0], n_customers),
            "connect_date": days[0] - pd.to_timedelta(rng.integers(0, 3000, n_customers), unit="D"),
            "name": [f"name {i}" for i in range(n_customers)],
        }
    )
    level = rng.gamma(2.0, 8.0, n_customers)
    kwh = level[:, None] * rng.gamma(5.0, 0.2, (n_customers, n_days))
    weekend = np.asarray(days.day_of_week >= 5)
    commercial = customers["tariff_category"].to_numpy() == "commercial"
    kwh[np.ix_(commercial, weekend)] *= 0.3
    thieves = rng.random(n_customers) < 0.2
    cut_day = rng.integers(n_days // 3, n_days, n_customers)
    after_cut = np.arange(n_days)[None, :] >= cut_day[:, None]
    kwh = np.where(thieves[:, None] & after_cut, kwh * 0.4, kwh)
    kwh[rng.random(kwh.shape) < 0.03] = 0.0
    kwh[rng.random(kwh.shape) < 0.05] = np.nan
    kwh = np.round(kwh, 3)
    readings = pd.DataFrame(
        {"customer_id": np.repeat(ids, n_days), "date": np.tile(days, n_customers), "kwh": kwh.ravel()}
    )
    months = pd.period_range(days[0], days[-1], freq="M")
    bill_rows = [(c, m.to_timestamp(how="end").normalize()) for c in ids for m in months]
    bills = pd.DataFrame(bill_rows, columns=["customer_id", "read_date"])
    bills["kwh_billed"] = rng.gamma(2.0, 200.0, len(bills))
    n_adj = n_customers * 3
    adjustments = pd.DataFrame(
        {
            "adjustment_id": [f"ADJ{i}" for i in range(n_adj)],
            "customer_id": rng.choice(ids, n_adj),
            "date": days[rng.integers(0, n_days, n_adj)],
            "kind": rng.choice(["refund", "supplement", "reading_edit", "estimated_bill"], n_adj),
            "kwh_delta": rng.normal(0, 100, n_adj).round(1),
            "amount_delta": rng.normal(0, 60, n_adj).round(1),
            "operator_id": rng.choice(["op1", "op2", "op3", None], n_adj),
        }
    )
    n_orders = n_customers * 2
    created = days[rng.integers(0, n_days, n_orders)]
    orders = pd.DataFrame(
        {
            "order_id": [f"WO{i}" for i in range(n_orders)],
            "customer_id": rng.choice(ids, n_orders),
            "kind": rng.choice(["tariff_change", "capacity_change", "meter_replacement", "other"], n_orders),
            "created_at": created,
            "completed_at": created + pd.to_timedelta(rng.integers(1, 40, n_orders), unit="D"),
            "multiplier_before": rng.choice([1.0, 30.0], n_orders),
            "multiplier_after": rng.choice([1.0, 30.0], n_orders),
        }
    )
    n_insp = n_customers * 2
    insp_date = days[rng.integers(0, n_days, n_insp)]
    recorded = pd.Series(insp_date + pd.to_timedelta(rng.integers(0, 60, n_insp), unit="D"))
    recorded[rng.random(n_insp) < 0.5] = pd.NaT
    inspections = pd.DataFrame(
        {
            "inspection_id": [f"IN{i}" for i in range(n_insp)],
            "target_type": rng.choice(["customer", "customer", "work_order"], n_insp),
            "target_id": rng.choice(ids, n_insp),
            "date": insp_date,
            "result": rng.choice(["clean", "clean", "theft", "metering_error", "violation"], n_insp),
            "recorded_date": recorded.to_numpy(),
        }
    )
    loss_rows = [(a, str(m)) for a in areas for m in months]
    line_loss = pd.DataFrame(loss_rows, columns=["area_id", "month"])
    line_loss["supplied_kwh"] = rng.uniform(9000, 11000, len(line_loss))
    line_loss["billed_kwh"] = line_loss["supplied_kwh"] * rng.uniform(0.85, 0.99, len(line_loss))
    return {
        "customers": customers,
        "readings": readings,
        "bills": bills,
        "billing_adjustments": adjustments,
        "work_orders": orders,
        "inspections": inspections,
        "area_line_loss": line_loss,
    }


def readings_from(curves: dict[str, np.ndarray], end: str) -> pd.DataFrame:
    """Long readings from one daily kWh array per customer, every array ending on ``end``."""
    frames = []
    for customer_id, kwh in curves.items():
        kwh = np.asarray(kwh, dtype=float)
        days = pd.date_range(end=end, periods=len(kwh), freq="D")
        frames.append(pd.DataFrame({"customer_id": customer_id, "date": days, "kwh": kwh}))
    return pd.concat(frames, ignore_index=True)


def customers_frame(rows: list[tuple[str, str, str]], **columns) -> pd.DataFrame:
    """customers table from (customer_id, tariff_category, area_id) rows plus extra columns."""
    frame = pd.DataFrame(rows, columns=["customer_id", "tariff_category", "area_id"])
    for name, values in columns.items():
        frame[name] = values
    return frame
