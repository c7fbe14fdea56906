"""The synthetic generator: reproducible, contract-shaped, and realistic where later figures
depend on it (planted factors, line loss, inspection finding rates)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gridaudit.contract import TABLES
from gridaudit.synth import ORDER_PROBLEMS, PROBLEMS, generate_tables, truth_active, write_dataset
from gridaudit.synth.calendar import make_calendar

METER_PROBLEMS = {p for p in PROBLEMS if p.startswith("theft_")} | {"long_zero", "wrong_multiplier"}


@pytest.fixture(scope="module")
def small():
    return generate_tables(customers=300, months=6, end_month="2025-12", seed=11)


@pytest.fixture(scope="module")
def medium():
    """Big enough for statistics (~10 customers per theft kind), still under a second."""
    return generate_tables(customers=1500, months=12, end_month="2025-06", seed=5)


def test_same_seed_gives_identical_frames(small):
    again_tables, again_truth = generate_tables(customers=300, months=6, end_month="2025-12", seed=11)
    tables, truth = small
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, again_tables[name], obj=name)
    for name, frame in truth.items():
        pd.testing.assert_frame_equal(frame, again_truth[name], obj=f"truth {name}")


def test_other_seed_gives_other_data(small):
    other, _ = generate_tables(customers=300, months=6, end_month="2025-12", seed=12)
    assert not other["customers"]["customer_id"].equals(small[0]["customers"]["customer_id"])
    assert not np.allclose(
        other["readings"]["kwh"].head(1000), small[0]["readings"]["kwh"].head(1000), equal_nan=True
    )


def test_every_table_follows_the_contract(small):
    tables, _ = small
    assert set(tables) == set(TABLES)
    for name, spec in TABLES.items():
        frame = tables[name]
        assert not frame.empty, name
        assert set(spec.required) <= set(frame.columns), name
        assert set(frame.columns) <= set(spec.names), (
            f"{name}: unknown columns {set(frame.columns) - set(spec.names)}"
        )
        if spec.key:
            assert not frame.duplicated(list(spec.key)).any(), f"{name}: duplicate {spec.key}"
        for col in spec.columns:
            if col.name not in frame.columns:
                continue
            values = frame[col.name]
            if col.kind in ("date", "datetime"):
                assert pd.api.types.is_datetime64_dtype(values), f"{name}.{col.name}"
            if col.kind == "str":
                assert pd.api.types.is_string_dtype(values), f"{name}.{col.name}"
            if col.allowed is not None:
                assert set(values.dropna()) <= set(col.allowed), f"{name}.{col.name}"
            if col.minimum is not None:
                present = values.dropna()
                ok = present > col.minimum if col.exclusive_minimum else present >= col.minimum
                assert ok.all(), f"{name}.{col.name} below {col.minimum}"
            if col.maximum is not None:
                assert (values.dropna() <= col.maximum).all(), f"{name}.{col.name}"
        for column, (other, other_column) in spec.references.items():
            assert frame[column].isin(tables[other][other_column]).all(), f"{name}.{column}"


def test_customer_register_is_plausible(medium):
    customers = medium[0]["customers"]
    shares = customers["tariff_category"].value_counts(normalize=True)
    assert 0.75 < shares["residential"] < 0.85
    assert 0.08 < shares["commercial"] < 0.16
    assert customers["area_id"].str.fullmatch(r"TA-\d{4}").all()
    assert customers["phone"].str.fullmatch(r"1[3-9]\d{9}").all()
    big = customers["meter_multiplier"] > 1
    assert (customers.loc[big, "tariff_category"] != "residential").all()
    assert customers["closed_date"].notna().any()
    assert (customers["connect_date"] >= pd.Timestamp("2024-07-01")).any()  # some connect during the period


def test_bills_follow_the_register(medium):
    bills = medium[0]["bills"]
    computed = (bills["end_reading"] - bills["start_reading"]) * bills["multiplier"]
    assert np.allclose(computed, bills["kwh_billed"], atol=0.01)
    residential = bills["kwh_tier_1"].notna()
    tiers = bills.loc[residential, ["kwh_tier_1", "kwh_tier_2", "kwh_tier_3"]].sum(axis=1)
    assert np.allclose(tiers, bills.loc[residential, "kwh_billed"], atol=0.01)
    assert {"normal", "estimated", "no_access"} <= set(bills["reading_remark"])


def test_wrong_multiplier_shows_as_a_bill_multiplier_off_the_register(medium):
    tables, truth = medium
    register = tables["customers"].set_index("customer_id")["meter_multiplier"]
    bills = tables["bills"]
    off = bills["multiplier"].to_numpy() != register.loc[bills["customer_id"]].to_numpy()
    problem = truth["customers"].set_index("customer_id")["problem"]
    off_customers = set(bills.loc[off, "customer_id"])
    assert off_customers
    assert (problem.loc[list(off_customers)] == "wrong_multiplier").all()


def _window_mean(curve: pd.DataFrame, customer: str, start: pd.Timestamp, end: pd.Timestamp) -> float:
    rows = curve.loc[customer]
    return rows.loc[(rows.index >= start) & (rows.index < end), "kwh"].mean()


def test_theft_scaling_lowers_metered_kwh_by_the_planted_factor(medium):
    tables, truth = medium
    curve = tables["readings"].set_index(["customer_id", "date"]).sort_index()
    customers = tables["customers"].set_index("customer_id")
    honest = truth["customers"].loc[truth["customers"]["problem"] == "none", "customer_id"]
    t = truth["customers"]
    first_day = tables["readings"]["date"].min()
    thieves = t[
        (t["problem"] == "theft_scaling")
        & (t["problem_start"] >= first_day + pd.Timedelta(days=60))
        & (t["problem_end"].isna() | (t["problem_end"] >= t["problem_start"] + pd.Timedelta(days=60)))
    ]
    assert len(thieves) >= 3
    adjusted = []
    for row in thieves.itertuples():
        before = (row.problem_start - pd.Timedelta(days=60), row.problem_start)
        after = (row.problem_start, row.problem_start + pd.Timedelta(days=60))
        ratio = _window_mean(curve, row.customer_id, *after) / _window_mean(curve, row.customer_id, *before)
        # the same windows for honest peers of the same category remove the seasonal change
        peers = honest[
            customers.loc[honest, "tariff_category"].to_numpy()
            == customers.loc[row.customer_id, "tariff_category"]
        ]
        window = curve.loc[list(peers)].reset_index()
        in_before = window["date"].between(before[0], before[1], inclusive="left")
        in_after = window["date"].between(after[0], after[1], inclusive="left")
        season = window.loc[in_after, "kwh"].mean() / window.loc[in_before, "kwh"].mean()
        adjusted.append(ratio / season / row.factor)
    assert 0.75 < np.median(adjusted) < 1.3


def test_line_loss_rises_with_theft(medium):
    tables, truth = medium
    loss = tables["area_line_loss"]
    rate = (1 - loss["billed_kwh"] / loss["supplied_kwh"]).groupby(loss["area_id"]).mean()
    merged = tables["customers"].merge(truth["customers"], on="customer_id")
    thieves = merged["problem"].isin(METER_PROBLEMS).groupby(merged["area_id"]).sum()
    assert rate.min() > 0.02  # technical losses alone are 3-6%
    assert np.corrcoef(thieves.reindex(rate.index, fill_value=0), rate)[0, 1] > 0


def test_inspection_finding_rates_are_plausible(medium):
    inspections = medium[0]["inspections"]
    customer = inspections[inspections["target_type"] == "customer"]
    finding = customer["result"] != "clean"
    assert 0.02 < finding.mean() < 0.20
    by_selection = finding.groupby(customer["selection"]).mean()
    assert by_selection["targeted"] > by_selection["random"]
    assert (inspections["target_type"] == "work_order").any()
    orders = inspections[inspections["target_type"] == "work_order"]
    assert orders["result"].isin(["clean", "process_error"]).all()
    delay = (inspections["recorded_date"] - inspections["date"]).dt.days
    assert delay.between(5, 45).all()


def test_random_inspections_carry_their_inclusion_probability(medium):
    inspections = medium[0]["inspections"]
    random = inspections["selection"] == "random"
    assert random.any()
    assert inspections.loc[random, "inclusion_probability"].between(0, 1, inclusive="right").all()
    assert inspections.loc[~random, "inclusion_probability"].isna().all()
    # picks / population: about the monthly random share of 2-3% of customers over the pool
    assert inspections.loc[random, "inclusion_probability"].max() < 0.05


def test_findings_match_planted_problems(medium):
    tables, truth = medium
    inspections = tables["inspections"]
    customer = inspections[inspections["target_type"] == "customer"].merge(
        truth["customers"], left_on="target_id", right_on="customer_id"
    )
    thefts = customer[customer["result"] == "theft"]
    assert thefts["problem"].isin(METER_PROBLEMS - {"wrong_multiplier"}).mean() > 0.9
    orders = inspections[inspections["target_type"] == "work_order"].merge(
        truth["work_orders"], left_on="target_id", right_on="order_id"
    )
    assert (orders.loc[orders["result"] == "process_error", "problem"] != "none").mean() > 0.9


def test_truth_has_known_problems_at_a_realistic_prevalence(medium):
    _, truth = medium
    customers = truth["customers"]
    assert set(customers["problem"]) <= set(PROBLEMS)
    assert 0.04 < (customers["problem"] != "none").mean() < 0.12
    assert customers.loc[customers["problem"] == "none", "problem_start"].isna().all()
    assert set(truth["work_orders"]["problem"]) <= set(ORDER_PROBLEMS)
    assert (truth["work_orders"]["problem"] != "none").any()


def test_truth_active_by_hand():
    truth = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "problem": ["none", "theft_scaling", "long_zero", "theft_flat", "wrong_multiplier"],
            "problem_start": pd.to_datetime([None, "2025-03-15", "2025-01-01", "2025-05-01", "2024-12-01"]),
            "problem_end": pd.to_datetime([None, None, "2025-02-28", "2025-05-31", "2025-03-01"]),
        }
    )
    march = truth_active(truth, "2025-03")
    assert march.to_dict() == {"a": False, "b": True, "c": False, "d": False, "e": True}
    may = truth_active(truth, pd.Period("2025-05", freq="M"))
    assert may.to_dict() == {"a": False, "b": True, "c": False, "d": True, "e": False}
    assert march.index.name == "customer_id"


def test_calendar_covers_whole_months():
    cal = make_calendar("2024-03", 3)
    assert cal.start == pd.Timestamp("2024-01-01") and cal.end == pd.Timestamp("2024-03-31")
    assert list(cal.first_day) == [0, 31, 60] and list(cal.last_day) == [30, 59, 90]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_write_dataset_writes_one_file_per_table_and_the_truth_apart(tmp_path, small, fmt):
    tables, truth = small
    paths = write_dataset(tmp_path, tables, truth, fmt=fmt)
    assert sorted(p.name for p in tmp_path.glob(f"*.{fmt}")) == sorted(f"{name}.{fmt}" for name in tables)
    assert sorted(p.name for p in (tmp_path / "_truth").iterdir()) == sorted(
        [f"customers.{fmt}", f"work_orders.{fmt}", "README.txt"]
    )
    assert "evaluation only" in (tmp_path / "_truth" / "README.txt").read_text(encoding="utf-8")
    assert paths["customers"] == tmp_path / f"customers.{fmt}"
    if fmt == "parquet":
        pd.testing.assert_frame_equal(pd.read_parquet(paths["bills"]), tables["bills"])


def test_cli_writes_a_data_set(tmp_path):
    from gridaudit.cli import commands  # noqa: F401
    from gridaudit.cli.app import app

    result = CliRunner().invoke(
        app,
        [
            "synth",
            "--out",
            str(tmp_path / "raw"),
            "--customers",
            "60",
            "--months",
            "4",
            "--seed",
            "3",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "readings" in result.output and "customers carry a planted problem" in result.output
    assert (tmp_path / "raw" / "readings.csv").exists()
    assert (tmp_path / "raw" / "_truth" / "customers.csv").exists()


def test_cli_refuses_a_bad_format(tmp_path):
    from gridaudit.cli import commands  # noqa: F401
    from gridaudit.cli.app import app

    result = CliRunner().invoke(app, ["synth", "--out", str(tmp_path), "--format", "xlsx"])
    assert result.exit_code == 2
    assert "parquet or csv" in result.output


@pytest.mark.slow
def test_default_size_generates_quickly():
    started = time.perf_counter()
    tables, _ = generate_tables()
    assert time.perf_counter() - started < 60
    assert len(tables["customers"]) == 5000 and len(tables["readings"]) > 3_000_000


def test_found_problems_usually_end_on_the_day_they_are_found(medium):
    tables, truth = medium
    inspections = tables["inspections"]
    found = inspections[
        (inspections["target_type"] == "customer") & (inspections["result"] != "clean")
    ].merge(truth["customers"], left_on="target_id", right_on="customer_id")
    planted = found[found["problem"] != "none"]
    assert len(planted) >= 10
    assert (planted["problem_end"] == planted["date"]).mean() > 0.7


def test_abused_accounts_get_repeated_adjustments_from_one_operator(medium):
    tables, truth = medium
    adjustments = tables["billing_adjustments"].merge(truth["customers"], on="customer_id")
    abused = adjustments[adjustments["problem"] == "adjustment_abuse"]
    per_customer = abused.groupby("customer_id")["operator_id"].agg(["size", "nunique"])
    others = adjustments[adjustments["problem"] == "none"].groupby("customer_id").size()
    assert per_customer["size"].median() >= others.median() + 2
    top_operator_share = abused.groupby("customer_id")["operator_id"].agg(
        lambda s: s.value_counts(normalize=True).iloc[0]
    )
    assert top_operator_share.median() > 0.6


@pytest.mark.parametrize(("customers", "months"), [(10, 3), (20, 36)])
def test_tiny_and_long_data_sets_still_generate(customers, months):
    tables, truth = generate_tables(customers=customers, months=months, seed=1)
    assert len(tables["customers"]) == customers == len(truth["customers"])
    assert tables["readings"]["date"].dt.to_period("M").nunique() == months
    for name, spec in TABLES.items():
        assert set(spec.required) <= set(tables[name].columns), name
