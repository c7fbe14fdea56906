"""Build the customer feature frame as of a month: one row per customer, one column per feature.

The builder pivots the daily curve once and reuses it for every month it is asked about, which
is what training needs (features as of the month before each inspection).

The build has two passes (see ``groups.py``): ``build_partial`` runs the families over the
builder's customers (per-customer features plus the inputs of group statistics), and
``finish_customer_features`` computes the group statistics and peer features over the frame of
all customers. ``build`` does both; the bucketed engine (``gridaudit.engine``) runs pass 1 once
per customer bucket and pass 2 once over their concatenation, and gets the same frame.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..config import Config
from ..months import month_end, parse_month
from .bills import bills_group_features
from .capacity_tariff import capacity_tariff_group_features
from .context import CurveMatrix, FeatureContext, cut_tables
from .curve_peers import curve_peers_group_features
from .groups import is_group_input
from .line_loss import line_loss_group_features
from .peers import peer_features  # imported here so that peer features are in the registry
from .registry import all_specs

log = logging.getLogger(__name__)

# Raw customer attributes passed to the model as categories (described in the registry too).
CATEGORY_FEATURES = ("tariff_category", "area_id")
# Pass-2 steps other than peers: (frame of everyone, customers aligned with it) -> final columns.
GROUP_STEPS = (
    capacity_tariff_group_features,
    curve_peers_group_features,
    line_loss_group_features,
    bills_group_features,
)


class CustomerFeatureBuilder:
    """Features for every customer as of any month, from one warehouse snapshot.

    ``population`` (customer_id, area_id, tariff_category, connect_date of every customer) and
    ``curve_span`` (first and last day of the company's readings) are given when ``tables`` hold
    one bucket of customers: area statistics then count everyone, and the curve has the
    company's day axis. Leave both out for a whole-table build.
    """

    def __init__(
        self,
        tables: dict[str, pd.DataFrame],
        config: Config | None = None,
        *,
        population: pd.DataFrame | None = None,
        curve_span: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    ):
        self.tables = tables
        self.config = config or Config()
        self.population = population
        customers = tables["customers"]
        self._all_ids = pd.Index(customers["customer_id"].astype(str), name="customer_id")
        readings = tables.get("readings")
        has_readings = readings is not None and len(readings) > 0
        self._curve = (
            CurveMatrix.from_readings(readings, self._all_ids, span=curve_span)
            if has_readings or curve_span is not None
            else None
        )

    def context(
        self, as_of: str | pd.Period, group_pass: bool = False, *, raw_readings: bool = True
    ) -> FeatureContext:
        """The families' view as of a month; ``raw_readings=False`` leaves the readings table out
        (the families read the pivoted curve, and cutting millions of rows copies them)."""
        month = parse_month(as_of)
        end = month_end(month)
        tables = self.tables if raw_readings else {k: v for k, v in self.tables.items() if k != "readings"}
        cut = cut_tables(tables, month, self.config)
        customers = cut["customers"].reset_index(drop=True)
        curve = None
        if self._curve is not None:
            rows = self._all_ids.get_indexer(customers["customer_id"].astype(str))
            full = self._curve.until(end)
            curve = CurveMatrix(full.values[rows], full.dates, pd.Index(customers["customer_id"].astype(str)))
        population = None
        if self.population is not None:
            population = cut_tables({"customers": self.population}, month, self.config)["customers"]
        return FeatureContext(month, end, customers, cut, curve, self.config, population, group_pass)

    def release_readings(self) -> None:
        """Forget the raw readings: they are pivoted into the curve, which is all the families
        read. A bucket build is for one month, and millions of rows need not wait for it."""
        self.tables = {k: v for k, v in self.tables.items() if k != "readings"}

    def build_partial(self, as_of: str | pd.Period) -> pd.DataFrame:
        """Pass 1: every family over this builder's customers, group statistics left as inputs."""
        from .families import FAMILIES

        ctx = self.context(as_of, group_pass=True, raw_readings=False)
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
        frame.index.name = "customer_id"
        return frame

    def build(self, as_of: str | pd.Period) -> pd.DataFrame:
        """Feature frame indexed by customer_id; category columns carry pandas ``category`` dtype."""
        partial = self.build_partial(as_of)
        customers = cut_tables({"customers": self.tables["customers"]}, parse_month(as_of), self.config)
        return finish_customer_features(partial, customers["customers"])


def finish_customer_features(partial: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Pass 2: group statistics and peer features over everyone; drops the group inputs.

    ``partial`` holds pass-1 rows of every customer (any order, e.g. bucket after bucket);
    ``customers`` is the customers table cut at the month. Rows come back in ``customers``
    order, so sums and means over groups add the same numbers in the same order however pass 1
    was split, and the category columns get the levels of everyone.
    """
    ids = pd.Index(customers["customer_id"].astype(str), name="customer_id")
    # copy-on-write: a shallow copy, whose new columns never reach the caller's frame
    frame = partial.copy(deep=False) if partial.index.equals(ids) else partial.reindex(ids)
    customers = customers.reset_index(drop=True)
    categories = customers[list(CATEGORY_FEATURES)].astype("category").set_axis(frame.index)
    for column in CATEGORY_FEATURES:
        frame[column] = categories[column]
    for step in GROUP_STEPS:
        part = step(frame, customers)
        if part is None:
            continue
        for column in part.columns:
            frame[column] = part[column].to_numpy()
    frame = frame.drop(columns=[c for c in frame.columns if is_group_input(c)])
    peers = peer_features(frame, None)
    if peers is not None and peers.shape[1]:
        frame = pd.concat([frame, peers], axis=1)
    frame.index.name = "customer_id"
    dupes = frame.columns[frame.columns.duplicated()].tolist()
    if dupes:
        raise RuntimeError(f"two feature families produce the same columns: {dupes}")
    return with_every_registered_feature(frame)


def with_every_registered_feature(frame: pd.DataFrame) -> pd.DataFrame:
    """Add every registered customer feature the data could not produce as missing values.

    A company without daily curves (bills only), or a month without adjustments, still gets the
    same columns, so a model trained elsewhere scores it with those features unknown instead of
    refusing it.
    """
    absent = [s.name for s in all_specs("customer") if s.name not in frame.columns]
    if not absent:
        return frame
    filler = pd.DataFrame(np.nan, index=frame.index, columns=absent)
    return pd.concat([frame, filler], axis=1)


def build_customer_features(
    tables: dict[str, pd.DataFrame], as_of: str | pd.Period, config: Config | None = None
) -> pd.DataFrame:
    """Convenience: the customer feature frame as of one month."""
    return CustomerFeatureBuilder(tables, config).build(as_of)
