"""Properties of the whole customer feature build: no look-ahead, no mutation, every column described."""

import numpy as np
import pandas as pd
import pytest
from feature_tables import fabricate_tables

from gridaudit.config import Config
from gridaudit.features import CustomerFeatureBuilder, all_specs
from gridaudit.months import month_end

AS_OF = "2024-03"
END = month_end(AS_OF)
MY_FAMILIES = {
    "attributes",
    "curve_history",
    "capacity_tariff",
    "adjustments",
    "inspection_history",
    "line_loss",
    "peers",
}


def _known_tables(seed: int) -> dict[str, pd.DataFrame]:
    """Tables as the warehouse held them on the last day of the as-of month."""
    tables = fabricate_tables(n_customers=40, start="2022-11-01", n_days=517, seed=seed)  # to 2024-03-31
    orders = tables["work_orders"]
    tables["work_orders"] = orders.assign(
        completed_at=orders["completed_at"].where(orders["completed_at"] <= END)
    )
    return tables


def _with_future(known: dict[str, pd.DataFrame], seed: int) -> dict[str, pd.DataFrame]:
    """The same tables a few months later: new rows after the month, late write-ups, completions."""
    later = fabricate_tables(n_customers=40, start="2024-04-01", n_days=120, seed=seed + 100)
    full = {}
    for name, frame in known.items():
        extra = later[name]
        for key in ("adjustment_id", "order_id", "inspection_id"):
            if key in extra.columns:
                extra = extra.assign(**{key: "F" + extra[key]})
        full[name] = frame if name == "customers" else pd.concat([frame, extra], ignore_index=True)
    newcomer = later["customers"].iloc[[0]].assign(customer_id="NEW", connect_date=pd.Timestamp("2024-05-01"))
    full["customers"] = pd.concat([known["customers"], newcomer], ignore_index=True)
    # orders open at the month's end were completed later
    reopened = fabricate_tables(n_customers=40, start="2022-11-01", n_days=517, seed=seed)["work_orders"]
    full["work_orders"].loc[: len(reopened) - 1, "completed_at"] = reopened["completed_at"].to_numpy()
    # results written up after the month's end are rewritten: none of that may show
    inspections = full["inspections"]
    known_at = inspections["recorded_date"].fillna(inspections["date"] + pd.DateOffset(months=1))
    late = (inspections["date"] <= END) & (known_at > END)
    assert late.any()
    flipped = inspections["result"].where(~late, np.where(inspections["result"] == "clean", "theft", "clean"))
    full["inspections"] = inspections.assign(result=flipped)
    return full


@pytest.mark.parametrize("seed", [3, 11])
def test_rows_after_the_month_change_no_feature(seed):
    known = _known_tables(seed)
    full = _with_future(known, seed)
    before = {name: frame.copy(deep=True) for name, frame in full.items()}
    expected = CustomerFeatureBuilder(known, Config()).build(AS_OF)
    full_builder = CustomerFeatureBuilder(full, Config())
    actual = full_builder.build(AS_OF)
    pd.testing.assert_frame_equal(actual, expected)
    # the added rows are not inert: a later month sees them
    later = full_builder.build("2024-05").drop(index="NEW")
    assert not later.equals(expected)
    for name, frame in full.items():  # inputs are never mutated
        pd.testing.assert_frame_equal(frame, before[name])


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return CustomerFeatureBuilder(fabricate_tables(seed=5), Config()).build(AS_OF)


def test_every_column_is_described_with_usable_sentences(frame):
    specs = {s.name: s for s in all_specs("customer")}
    undescribed = [c for c in frame.columns if c not in specs]
    assert undescribed == []
    for name in frame.columns:
        spec = specs[name]
        for language in ("zh", "en"):
            template = spec.reason_template(language)
            assert template.format(value="12%", peer="3%"), name
            if spec.family in MY_FAMILIES:
                assert "{value}" in template, name
            assert spec.meaning(language), name


def test_my_families_register_exactly_what_they_produce(frame):
    registered = {s.name for s in all_specs() if s.family in MY_FAMILIES}
    assert registered == registered & set(frame.columns)


def test_numeric_features_are_float_and_finite_or_missing(frame):
    numeric = frame.drop(columns=["tariff_category", "area_id"])
    mine = [c for c in numeric.columns if c in {s.name for s in all_specs() if s.family in MY_FAMILIES}]
    values = numeric[mine].to_numpy(dtype=float)
    assert not np.isinf(values).any()


def test_only_customers_table_builds():
    tables = {"customers": fabricate_tables(n_customers=6)["customers"]}
    frame = CustomerFeatureBuilder(tables, Config()).build(AS_OF)
    assert len(frame) == 6
    assert "tenure_months" in frame.columns
