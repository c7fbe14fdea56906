"""Put the generators together in the order the world happens: register -> problems -> curves
-> adjustments -> a month-by-month inspection walk (findings fix problems) -> bills, line loss,
work orders and order inspections from the final state."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import InputError
from ..months import parse_month
from .adjustments import finish_adjustments, make_adjustments
from .billing import billing_ratio_window, make_bills
from .calendar import Calendar, make_calendar
from .curves import collection_gaps, true_consumption
from .customers import Population, make_customers
from .inspections import CurveState, simulate_customer_inspections
from .line_loss import make_area_line_loss, technical_loss_rates
from .order_inspections import simulate_order_inspections
from .orders import make_work_orders
from .problems import assign_problems, tampered_curve
from .staff import make_staff
from .truth import customer_truth, order_truth

log = logging.getLogger(__name__)


class SynthError(InputError, ValueError):
    """A size or month the generator cannot work with."""


def _readings(
    pop: Population, cal: Calendar, metered: np.ndarray, empty: np.ndarray, absent: np.ndarray
) -> pd.DataFrame:
    """Long daily readings: rows while in service, except long collection gaps; empty = NaN."""
    rows, days = np.nonzero(pop.in_service(cal.n_days) & ~absent)
    kwh = np.where(empty[rows, days], np.nan, metered[rows, days])
    # decoded by Arrow from (row, id) codes: a Python string per reading would cost ~1 s and ~300 MB
    ids = pa.DictionaryArray.from_arrays(
        pa.array(rows.astype(np.int32)), pa.array(pop.customer_id.astype(str))
    )
    return pd.DataFrame(
        {
            "customer_id": pd.array(ids.cast(pa.large_string()), dtype="str"),
            "date": cal.days[days].as_unit("us"),
            "kwh": kwh,
        }
    )


def _replacement_days(rng: np.random.Generator, pop: Population, plan, cal: Calendar) -> np.ndarray:
    """Meter replacements: the faulty one of each wrong_multiplier case, plus ~5% routine ones."""
    n = pop.n
    close = np.where(np.isnan(pop.close_day), np.inf, pop.close_day)
    day = rng.integers(30, cal.n_days - 30, n).astype(float)
    routine = (rng.random(n) < 0.002 * cal.n_months) & (day > pop.connect_day + 30) & (day < close - 30)
    out = np.where(routine, day, np.nan)
    wrong = plan.kind == "wrong_multiplier"
    out[wrong] = plan.start_day[wrong]
    return out


def _finding_adjustments(findings: pd.DataFrame, plan, cal: Calendar, staff, rng) -> pd.DataFrame:
    """The supplement (or multiplier/tariff correction) booked when a finding is written up."""
    found = findings[(findings["result"] != "clean") & (findings["recorded_day"] < cal.n_days)]
    kind = np.where(found["result"] == "metering_error", "multiplier_edit", "supplement").astype(object)
    kind[found["result"].isin(["tariff_error"]).to_numpy()] = "tariff_edit"
    k = len(found)
    return pd.DataFrame(
        {
            "row": found["row"].to_numpy(), "day": found["recorded_day"].to_numpy(), "kind": kind,
            "kwh_delta": found["recovered_kwh"].to_numpy(), "amount_delta": found["recovered_amount"].to_numpy(),
            "operator_id": staff.billing[rng.integers(0, len(staff.billing), k)],
            "approver_id": staff.managers[rng.integers(0, len(staff.managers), k)],
            "abusive": False, "reason": "稽查追补",
        }
    )  # fmt: skip


def _inspection_table(customer_part, order_part, pop, orders, cal) -> pd.DataFrame:
    parts = []
    for part, target_type, ids in (
        (customer_part, "customer", pop.customer_id.astype(str)),
        (order_part, "work_order", orders["order_id"].to_numpy(dtype=object).astype(str)),
    ):
        if len(part):
            parts.append(part.assign(target_type=target_type, target_id=ids[part["row"].to_numpy(dtype=int)]))
    table = pd.concat(parts, ignore_index=True).sort_values(
        ["day", "target_type", "target_id"], kind="stable"
    )
    n = len(table)
    return pd.DataFrame(
        {
            "inspection_id": pd.array([f"INS{i:07d}" for i in range(1, n + 1)], dtype="str"),
            "target_type": pd.array(table["target_type"].to_numpy(), dtype="str"),
            "target_id": pd.array(table["target_id"].to_numpy(), dtype="str"),
            "date": cal.to_dates(table["day"].to_numpy(dtype=float)).as_unit("us"),
            "result": pd.array(table["result"].to_numpy(), dtype="str"),
            "recovered_kwh": table["recovered_kwh"].to_numpy(dtype=float),
            "recovered_amount": table["recovered_amount"].to_numpy(dtype=float),
            "selection": pd.array(table["selection"].to_numpy(), dtype="str"),
            "inclusion_probability": table["inclusion_probability"].to_numpy(dtype=float),
            "recorded_date": cal.to_dates(table["recorded_day"].to_numpy(dtype=float)).as_unit("us"),
        }
    )


def generate_tables(
    customers: int = 5000, months: int = 24, end_month: str = "2025-12", seed: int = 7
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """A synthetic data set in the contract's raw-table form, and the truth behind it.

    Returns ``(tables, truth)``: tables = customers, readings, bills, billing_adjustments,
    work_orders, inspections, area_line_loss (canonical columns, dates as datetime64, ids as
    str); truth = {"customers": problem per customer, "work_orders": problem per order}.
    The same arguments always give identical frames.
    """
    if customers < 10:
        raise SynthError(f"a synthetic data set needs at least 10 customers; --customers was {customers}")
    if months < 3:
        raise SynthError(f"a synthetic data set needs at least 3 months; --months was {months}")
    parse_month(end_month)
    rng = np.random.default_rng(seed)
    cal = make_calendar(end_month, months)
    staff = make_staff(rng)
    customer_frame, pop = make_customers(rng, customers, cal)
    plan, pop = assign_problems(rng, pop, cal)
    actual = true_consumption(rng, pop, cal)
    tampered = tampered_curve(rng, actual, plan)
    empty, absent = collection_gaps(rng, pop, cal.n_days)
    adjustments = make_adjustments(rng, pop, plan, cal, staff)
    loss = technical_loss_rates(rng, pop.n_areas)

    metered = np.where(plan.window(cal.n_days, tuple(set(plan.kind) - {"none"})), tampered, actual)
    state = CurveState(actual, tampered, metered, empty | absent, loss)
    findings = simulate_customer_inspections(rng, pop, plan, cal, state, adjustments)

    end = np.nan_to_num(plan.end_day, nan=np.inf)[adjustments["row"].to_numpy()]
    adjustments = adjustments[~adjustments["abusive"].to_numpy() | (adjustments["day"].to_numpy() <= end)]
    adjustments = pd.concat(
        [adjustments, _finding_adjustments(findings, plan, cal, staff, rng)], ignore_index=True
    )
    adjustments = adjustments.sort_values(["day", "row"], kind="stable").reset_index(drop=True)

    replace_day = _replacement_days(rng, pop, plan, cal)
    bills = make_bills(rng, pop, plan, cal, state.metered, replace_day)
    billed_daily = state.metered * billing_ratio_window(plan, cal.n_days)
    line_loss = make_area_line_loss(rng, pop, cal, actual, billed_daily, loss)

    fixed = findings[(findings["result"].isin(["tariff_error", "violation"]))]
    fixed = fixed[(plan.kind[fixed["row"].to_numpy(dtype=int)] == "tariff_misclassified")]
    fixed = fixed[fixed["recorded_day"] < cal.n_days]
    orders, order_problem = make_work_orders(
        rng, pop, plan, cal, staff, adjustments, replace_day,
        pd.DataFrame({"row": fixed["row"].to_numpy(dtype=int), "day": fixed["recorded_day"].to_numpy(dtype=float)}),
    )  # fmt: skip
    order_findings = simulate_order_inspections(rng, orders, order_problem, cal, staff, pop.n)
    inspections = _inspection_table(findings, order_findings, pop, orders, cal)

    tables = {
        "customers": customer_frame,
        "readings": _readings(pop, cal, state.metered, empty, absent),
        "bills": bills,
        "billing_adjustments": finish_adjustments(adjustments, pop, cal),
        "work_orders": orders.drop(columns=["row", "created_day"]),
        "inspections": inspections,
        "area_line_loss": line_loss,
    }
    truth = {"customers": customer_truth(pop, plan, cal), "work_orders": order_truth(orders, order_problem)}
    log.info("synthetic data: %s", {k: len(v) for k, v in tables.items()})
    return tables, truth
