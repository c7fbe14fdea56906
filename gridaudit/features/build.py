"""Build the customer feature frame as of a month: one row per customer, one column per feature.

The builder pivots the daily curve once and reuses it for every month it is asked about, which
is what training needs (features as of the month before each inspection).
"""

from __future__ import annotations

import logging

import pandas as pd

from ..config import Config
from ..months import month_end, parse_month
from .context import CurveMatrix, FeatureContext, cut_tables
from .peers import peer_features  # imported here so that peer features are in the registry

log = logging.getLogger(__name__)

# Raw customer attributes passed to the model as categories (described in the registry too).
CATEGORY_FEATURES = ("tariff_category", "area_id")


class CustomerFeatureBuilder:
    """Features for every customer as of any month, from one warehouse snapshot."""

    def __init__(self, tables: dict[str, pd.DataFrame], config: Config | None = None):
        self.tables = tables
        self.config = config or Config()
        customers = tables["customers"]
        self._all_ids = pd.Index(customers["customer_id"].astype(str), name="customer_id")
        readings = tables.get("readings")
        self._curve = (
            CurveMatrix.from_readings(readings, self._all_ids)
            if readings is not None and len(readings)
            else None
        )

    def context(self, as_of: str | pd.Period) -> FeatureContext:
        month = parse_month(as_of)
        end = month_end(month)
        cut = cut_tables(self.tables, month, self.config)
        customers = cut["customers"].reset_index(drop=True)
        curve = None
        if self._curve is not None:
            rows = self._all_ids.get_indexer(customers["customer_id"].astype(str))
            full = self._curve.until(end)
            curve = CurveMatrix(full.values[rows], full.dates, pd.Index(customers["customer_id"].astype(str)))
        return FeatureContext(month, end, customers, cut, curve, self.config)

    def build(self, as_of: str | pd.Period) -> pd.DataFrame:
        """Feature frame indexed by customer_id; category columns carry pandas ``category`` dtype."""
        from .families import FAMILIES

        ctx = self.context(as_of)
        index = ctx.customer_index
        parts = [
            ctx.customers.set_index(index)[list(CATEGORY_FEATURES)].astype("category"),
        ]
        for family in FAMILIES:
            part = family(ctx)
            if part is None or part.shape[1] == 0:
                continue
            parts.append(part.reindex(index))
        frame = pd.concat(parts, axis=1)
        peers = peer_features(frame, ctx)
        if peers is not None and peers.shape[1]:
            frame = pd.concat([frame, peers.reindex(index)], axis=1)
        frame.index.name = "customer_id"
        dupes = frame.columns[frame.columns.duplicated()].tolist()
        if dupes:
            raise RuntimeError(f"two feature families produce the same columns: {dupes}")
        return frame


def build_customer_features(
    tables: dict[str, pd.DataFrame], as_of: str | pd.Period, config: Config | None = None
) -> pd.DataFrame:
    """Convenience: the customer feature frame as of one month."""
    return CustomerFeatureBuilder(tables, config).build(as_of)
