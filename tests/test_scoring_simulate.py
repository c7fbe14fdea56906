"""The simulated feedback loop's parts on hand-built frames: inspecting against the truth,
fixing what was found, the returned list going through the real feedback path, and the feature
builder that keeps finished months. (The loop itself runs in benchmarks/feedback_loop.py.)"""

import pandas as pd
import pytest

from gridaudit.config import Config
from gridaudit.features import CustomerFeatureBuilder
from gridaudit.io import read_table, write_table
from gridaudit.scoring.listing import normalise, write_list_csv
from gridaudit.scoring.simulate import (
    LoopMonth,
    ReusingFeatureBuilder,
    inspect,
    loop_table,
    resolve,
    write_results,
)
from gridaudit.synth import truth_active

JULY = pd.Period("2025-07", freq="M")


def hand_truth() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3", "c4", "c5"],
            "problem": [
                "theft_scaling",
                "tariff_misclassified",
                "none",
                "adjustment_abuse",
                "wrong_multiplier",
            ],
            # c2 ended in June, c4 starts in August, c5 runs through July
            "problem_start": pd.to_datetime(["2025-01-10", "2025-01-01", None, "2025-08-02", "2025-07-31"]),
            "problem_end": pd.to_datetime([None, "2025-06-30", None, None, None]),
            "factor": [0.4, 1.0, 1.0, 1.0, 1.0],
        }
    ).astype({"problem_start": "datetime64[us]", "problem_end": "datetime64[us]"})


def hand_list() -> pd.DataFrame:
    ids = ["c1", "c2", "c3", "c4", "c5"]
    return normalise(
        pd.DataFrame(
            {
                "month": "2025-07",
                "rank": [1, 2, 3, 4, 5],
                "target_type": "customer",
                "target_id": ids,
                "customer_id": ids,
                "area_id": "A1",
                "score": [0.9, 0.8, 0.7, 0.6, 0.1],
                "risk_tier": ["high", "high", "high", "high", "low"],
                "expected_recovery": 100.0,
                "selection": ["model", "model", "model", "model", "exploration"],
                "inclusion_probability": [1.0, 1.0, 1.0, 1.0, 0.25],
                "reason_1": "r",
                "reason_2": "",
                "reason_3": "",
                "reason_codes": "f",
                "model_name": "customer_risk",
                "model_version": "1",
            }
        )
    )


def test_inspection_finds_the_problems_in_effect_that_month():
    results = inspect(hand_list(), hand_truth(), JULY)
    assert results.to_dict() == {
        "c1": "theft",
        "c2": "clean",  # ended in June
        "c3": "clean",
        "c4": "clean",  # starts in August
        "c5": "metering_error",  # in effect on July 31st only
    }


def test_a_found_problem_ends_on_the_day_it_was_found():
    fixed = resolve(hand_truth(), pd.Series(pd.to_datetime(["2025-07-15", "2025-07-15"]), index=["c1", "c2"]))
    ends = fixed.set_index("customer_id")["problem_end"]
    assert ends["c1"] == pd.Timestamp("2025-07-15")
    assert ends["c2"] == pd.Timestamp("2025-06-30")  # it had ended before: unchanged
    assert ends[["c3", "c4", "c5"]].isna().all()
    assert truth_active(fixed, JULY)["c1"] and not truth_active(fixed, JULY + 1)["c1"]
    truth = hand_truth()
    assert resolve(truth, pd.Series(dtype="datetime64[us]")) is truth  # nothing found yet


def test_the_returned_list_loads_through_the_feedback_path(tmp_path):
    listing = hand_list()
    write_list_csv(tmp_path / "list.csv", listing)
    warehouse = tmp_path / "warehouse"
    write_table(warehouse, "customers", pd.DataFrame({"customer_id": ["c1", "c2", "c3", "c4", "c5"]}))
    results = inspect(listing, hand_truth(), JULY)
    returned = write_results(tmp_path / "list.csv", results, JULY, tmp_path / "results.csv")

    from gridaudit.scoring import load_feedback

    summary = load_feedback(returned, warehouse, recorded="2025-07-31")
    assert summary.added == 5
    table = read_table(warehouse, "inspections").set_index("inspection_id")
    assert table.loc["FB-2025-07-c1", "result"] == "theft"
    assert table.loc["FB-2025-07-c1", "selection"] == "targeted"
    assert table.loc["FB-2025-07-c5", "selection"] == "exploration"
    assert table.loc["FB-2025-07-c5", "inclusion_probability"] == pytest.approx(0.25)
    assert (pd.to_datetime(table["date"]) == pd.Timestamp("2025-07-15")).all()
    assert (pd.to_datetime(table["recorded_date"]) == pd.Timestamp("2025-07-31")).all()


def test_the_builder_keeps_finished_months_until_rows_known_by_then_arrive(monkeypatch):
    built = []

    def fake_build(self, as_of):
        built.append(str(as_of))
        return pd.DataFrame({"n": [len(built)]})

    monkeypatch.setattr(CustomerFeatureBuilder, "build", fake_build)
    inspections = pd.DataFrame(
        {
            "inspection_id": ["I1"],
            "target_type": ["customer"],
            "target_id": ["c1"],
            "date": pd.to_datetime(["2025-03-10"]),
            "result": ["clean"],
            "recorded_date": pd.to_datetime(["2025-03-20"]),
        }
    )
    tables = {"customers": pd.DataFrame({"customer_id": ["c1"]}), "inspections": inspections}
    builder = ReusingFeatureBuilder(tables, Config())
    builder.build("2025-05")
    builder.build("2025-06")
    builder.build("2025-05")
    assert built == ["2025-05", "2025-06"]

    same = {**tables, "inspections": inspections.copy()}
    builder.move_to(same)  # nothing new: both months kept
    builder.build("2025-06")
    assert built == ["2025-05", "2025-06"]

    later = pd.DataFrame(
        {
            "inspection_id": ["FB-2025-06-c1"],
            "target_type": ["customer"],
            "target_id": ["c1"],
            "date": pd.to_datetime(["2025-06-15"]),
            "result": ["theft"],
            "recorded_date": pd.to_datetime(["2025-06-30"]),
        }
    )
    builder.move_to({**tables, "inspections": pd.concat([inspections, later], ignore_index=True)})
    builder.build("2025-05")  # known in June: May's view is unchanged
    builder.build("2025-06")  # June's is not
    assert built == ["2025-05", "2025-06", "2025-06"]


def test_the_table_totals_picks_and_findings_over_the_months():
    def month(name, hits, explore_hits, base_rate):
        return LoopMonth(
            month=name, model_version="1", training_examples=100, training_findings=10, customers=1000,
            active_problems=int(base_rate * 1000), base_rate=base_rate, listed=10, model_picks=8,
            model_findings=hits, precision_model=hits / 8, exploration_picks=2,
            exploration_findings=explore_hits, precision_exploration=explore_hits / 2,
            lift=hits / 8 / base_rate, found_share=(hits + explore_hits) / (base_rate * 1000), seconds=1.0,
        )  # fmt: skip

    table = loop_table([month("2025-07", 4, 1, 0.02), month("2025-08", 2, 0, 0.01)])
    lines = table.splitlines()
    assert lines[2].split() == [
        "2025-07", "v1", "100", "10", "20", "0.020", "8", "4", "0.500", "25.0", "2", "1", "0.500", "0.25", "1",
    ]  # fmt: skip
    # all: 6 of 16 model picks (0.375) against a mean base rate of 0.015 -> lift 25.0; 1 of 4 exploration
    assert lines[-1].split() == ["all", "0.015", "16", "6", "0.375", "25.0", "4", "1", "0.250", "2"]
