"""What the monthly job reads from the warehouse besides the features: a few customers' rows.

The list needs raw rows for three things only, each for a bounded set of customers:
the listed customers' mean daily kWh (expected recovery), their curves and their peers' daily
median for the report (``curves.peer_curve_ids``: the listed plus at most
``PEER_CURVE_MEMBERS`` per peer group), and the work orders' evidence (customers with an order
in the scoring window). Everything else comes from the feature frame or from small tables read
whole (inspections, work orders).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ..config import Config
from ..features import CustomerFeatureBuilder, FeatureContext
from ..io import read_table
from ..months import parse_month
from ..privacy import drop_personal
from ..warehouse_reads import read_customers_tables
from .work_orders import WINDOW_MONTHS

log = logging.getLogger(__name__)

CURVE_INPUTS = ("customers", "readings", "bills")
ORDER_INPUTS = ("customers", "readings", "bills", "billing_adjustments")


def listed_context(
    warehouse: str | Path, customer_ids: list[str], as_of: str | pd.Period, config: Config
) -> FeatureContext:
    """The feature context of some customers only, cut at ``as_of``: their customers, readings
    and bills rows, on the company's day axis (so their windows equal the whole-table ones)."""
    from ..engine import readings_span

    tables = read_customers_tables(warehouse, customer_ids, CURVE_INPUTS)
    tables["customers"] = drop_personal(tables["customers"])
    log.info("read the rows of %d customers for curves and recovery", len(customer_ids))
    builder = CustomerFeatureBuilder(tables, config, curve_span=readings_span(warehouse))
    return builder.context(as_of)


def order_customer_ids(
    orders: pd.DataFrame, as_of: str | pd.Period, window_months: int = WINDOW_MONTHS
) -> list[str]:
    """Customers of every order that may be scored as of ``as_of``: open, or completed on or
    after the first day of the scoring window (a superset of ``orders_in_window``)."""
    first = (parse_month(as_of) - (window_months - 1)).to_timestamp(how="start")
    completed = pd.to_datetime(orders["completed_at"])
    keep = completed.isna() | (completed >= first)
    return sorted(orders.loc[keep, "customer_id"].dropna().astype(str).unique())


def work_order_tables(
    warehouse: str | Path, as_of: str | pd.Period, inspections: pd.DataFrame | None
) -> dict[str, pd.DataFrame]:
    """Tables the work-order features need: orders and inspections whole (small tables), the
    per-customer tables for the customers of recent orders only. Every order feature is
    computed per order from its own customer's rows, so the scored orders get the values of a
    whole-table build."""
    orders = read_table(warehouse, "work_orders", missing_ok=True)
    if orders is None:
        return {}
    ids = order_customer_ids(orders, as_of)
    tables = read_customers_tables(warehouse, ids, ORDER_INPUTS)
    tables["customers"] = drop_personal(tables["customers"])
    tables["work_orders"] = orders
    if inspections is not None:
        tables["inspections"] = inspections
    log.info("work orders as of %s: %d orders, rows of %d customers read", as_of, len(orders), len(ids))
    return tables
