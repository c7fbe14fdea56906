"""Training examples: features as of the month before each inspection, labels, meta, drops."""

import logging

import numpy as np
import pandas as pd
import pytest
from training_fixtures import StubBuilder, tiny_tables

from gridaudit.config import Config
from gridaudit.errors import InputError
from gridaudit.training.examples import NoLabelsError, build_examples


def _tables():
    tables = tiny_tables(months=("2024-03", "2024-04"), per_month=3)
    insp = tables["inspections"]
    # I0000 C000 2024-03-10 theft; I0001 C007 clean; I0002 C014 theft (recorded 2024-03-20)
    # I0003 C021 2024-04-10 clean; I0004 C028 theft; I0005 C035 clean
    insp.loc[2, "recorded_date"] = pd.Timestamp("2024-03-20")
    return tables


def test_features_as_of_previous_month_labels_and_meta_by_hand():
    tables = _tables()
    builder = StubBuilder(tables)
    X, y, meta = build_examples(tables, Config(label_delay_months=1), builder=builder)
    assert builder.months == [pd.Period("2024-02", "M"), pd.Period("2024-03", "M")]  # once per month
    assert meta["inspection_id"].tolist() == ["I0000", "I0001", "I0002", "I0003", "I0004", "I0005"]
    assert meta["customer_id"].tolist() == ["C000", "C007", "C014", "C021", "C028", "C035"]
    # signal = customer number + as-of month / 100 (as of Feb for March, March for April)
    np.testing.assert_allclose(X["signal"], [0.02, 7.02, 14.02, 21.03, 28.03, 35.03])
    assert y.tolist() == [1, 0, 1, 0, 1, 0]
    assert [str(m) for m in meta["as_of"]] == ["2024-02"] * 3 + ["2024-03"] * 3
    assert meta["known_date"].tolist() == [
        pd.Timestamp("2024-04-10"),
        pd.Timestamp("2024-04-10"),
        pd.Timestamp("2024-03-20"),  # recorded_date wins over date + delay
        pd.Timestamp("2024-05-10"),
        pd.Timestamp("2024-05-10"),
        pd.Timestamp("2024-05-10"),
    ]
    assert meta["selection"].tolist() == ["random", "targeted", "targeted"] * 2
    assert meta["inclusion_probability"].iloc[0] == 0.1 and np.isnan(meta["inclusion_probability"].iloc[1])
    assert isinstance(X["tariff_category"].dtype, pd.CategoricalDtype)
    assert not {"name", "address", "phone"} & set(X.columns)


def test_repeated_inspections_of_one_customer_are_separate_examples():
    tables = _tables()
    extra = tables["inspections"].iloc[[0]].assign(inspection_id="I9999", date=pd.Timestamp("2024-04-02"))
    tables["inspections"] = pd.concat([tables["inspections"], extra], ignore_index=True)
    X, y, meta = build_examples(tables, Config(), builder=StubBuilder(tables))
    rows = meta.index[meta["customer_id"] == "C000"]
    assert meta.loc[rows, "inspection_id"].tolist() == ["I0000", "I9999"]
    np.testing.assert_allclose(X.loc[rows, "signal"], [0.02, 0.03])


def test_customer_connected_after_the_as_of_month_is_dropped_and_counted(caplog):
    tables = _tables()
    tables["customers"].loc[tables["customers"]["customer_id"] == "C028", "connect_date"] = pd.Timestamp(
        "2024-03-15"
    )
    # C028 is inspected on 2024-04-10, features as of March: it exists by March 31 -> kept
    X, _, meta = build_examples(tables, Config(), builder=StubBuilder(tables))
    assert "C028" in set(meta["customer_id"])
    tables["customers"].loc[tables["customers"]["customer_id"] == "C028", "connect_date"] = pd.Timestamp(
        "2024-04-01"
    )
    with caplog.at_level(logging.WARNING, logger="gridaudit.training.examples"):
        X, _, meta = build_examples(tables, Config(), builder=StubBuilder(tables))
    assert "C028" not in set(meta["customer_id"]) and len(X) == len(meta) == 5
    assert "1 of 6 inspections dropped" in caplog.text


def test_real_feature_builder_gives_category_columns_and_drops_unknown_ids():
    tables = _tables()
    tables["inspections"].loc[5, "target_id"] = "NOPE"
    X, y, meta = build_examples(tables, Config())
    assert len(X) == 5 and {"tariff_category", "area_id"} <= set(X.columns)
    assert X.loc[0, "area_id"] == "A0" and isinstance(X["area_id"].dtype, pd.CategoricalDtype)
    assert not {"name", "address", "phone"} & set(X.columns)


def test_work_order_inspections_are_not_customer_examples():
    tables = _tables()
    tables["inspections"].loc[0, "target_type"] = "work_order"
    _, _, meta = build_examples(tables, Config(), builder=StubBuilder(tables))
    assert "I0000" not in set(meta["inspection_id"])
    with pytest.raises(InputError, match="unknown target type 'meter'"):
        build_examples(tables, Config(), builder=StubBuilder(tables), target_type="meter")


def test_no_inspections_is_a_clear_error():
    tables = _tables()
    tables["inspections"] = tables["inspections"].iloc[:0]
    with pytest.raises(NoLabelsError, match="no inspections"):
        build_examples(tables, Config(), builder=StubBuilder(tables))
