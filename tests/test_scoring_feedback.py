"""Feedback: returned lists (XLSX with Chinese titles and values, or English CSV) become
inspections rows; loading twice adds nothing; bad rows are refused with a useful sentence."""

import pandas as pd
import pytest
from scoring_fixtures import tiny_tables
from typer.testing import CliRunner

from gridaudit.io import read_table, write_table
from gridaudit.scoring import FeedbackError, load_feedback
from gridaudit.scoring.listing import normalise, write_list_xlsx, xlsx_frame


def returned_list() -> pd.DataFrame:
    """Three listed customers in the list's own layout (month 2026-01)."""
    return normalise(
        pd.DataFrame(
            {
                "month": "2026-01",
                "rank": [1, 2, 3],
                "target_type": "customer",
                "target_id": ["C005", "C007", "C009"],
                "customer_id": ["C005", "C007", "C009"],
                "area_id": ["A1", "A3", "A1"],
                "score": [0.9, 0.5, 0.2],
                "risk_tier": ["high", "high", "medium"],
                "expected_recovery": [500.0, 200.0, 80.0],
                "selection": ["model", "model", "exploration"],
                "inclusion_probability": [1.0, 1.0, 0.05],
                "reason_1": ["r", "r", "r"],
                "reason_2": "",
                "reason_3": "",
                "reason_codes": "x",
                "model_name": "customer_risk",
                "model_version": "3",
            }
        )
    )


@pytest.fixture
def warehouse(tmp_path):
    tables = tiny_tables(n_customers=12)
    wh = tmp_path / "wh"
    write_table(wh, "customers", tables["customers"], n_buckets=2)
    write_table(wh, "inspections", tables["inspections"], n_buckets=2)
    return wh


def test_chinese_xlsx_results_are_loaded_once(warehouse, tmp_path):
    frame = xlsx_frame(returned_list(), "zh")
    frame["稽查结果"] = ["窃电", "正常", ""]  # C009 not inspected yet
    frame["追补电费"] = ["1200.5", "", ""]
    path = tmp_path / "results.xlsx"
    frame.to_excel(path, index=False)

    summary = load_feedback(path, warehouse, recorded="2026-02-10")
    assert (summary.added, summary.not_inspected, summary.inspections_total) == (2, 1, 5)
    table = read_table(warehouse, "inspections").set_index("inspection_id")
    row = table.loc["FB-2026-01-C005"]
    assert row["result"] == "theft"
    assert row["target_type"] == "customer"
    assert row["selection"] == "targeted"
    assert row["inclusion_probability"] == 1.0
    assert row["recovered_amount"] == 1200.5
    assert pd.Timestamp(row["date"]) == pd.Timestamp("2026-01-31")  # default: end of the list month
    assert pd.Timestamp(row["recorded_date"]) == pd.Timestamp("2026-02-10")
    assert table.loc["FB-2026-01-C007", "result"] == "clean"
    assert table.loc["I1", "result"] == "clean"  # earlier inspections are kept

    again = load_feedback(path, warehouse, recorded="2026-02-10")
    assert (again.added, again.replaced, again.unchanged, again.inspections_total) == (0, 0, 2, 5)
    pd.testing.assert_frame_equal(read_table(warehouse, "inspections").set_index("inspection_id"), table)


def test_english_csv_with_dates_and_a_correction(warehouse, tmp_path):
    frame = returned_list()
    frame["result"] = ["theft", "clean", "Metering_Error"]
    frame["date"] = ["2026-01-12", "2026-01-20", ""]
    path = tmp_path / "results.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    summary = load_feedback(path, warehouse, recorded="2026-02-01")
    assert summary.added == 3
    table = read_table(warehouse, "inspections").set_index("inspection_id")
    assert pd.Timestamp(table.loc["FB-2026-01-C005", "date"]) == pd.Timestamp("2026-01-12")
    assert table.loc["FB-2026-01-C009", "result"] == "metering_error"
    assert table.loc["FB-2026-01-C009", "selection"] == "exploration"
    assert table.loc["FB-2026-01-C009", "inclusion_probability"] == pytest.approx(0.05)

    frame["result"] = ["violation", "clean", "metering_error"]
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    fixed = load_feedback(path, warehouse, recorded="2026-02-01")
    assert (fixed.added, fixed.replaced, fixed.unchanged, fixed.inspections_total) == (0, 1, 2, 6)
    assert (
        read_table(warehouse, "inspections").set_index("inspection_id").loc["FB-2026-01-C005", "result"]
        == "violation"
    )


def test_unknown_result_value_is_refused_with_file_column_count_and_example(warehouse, tmp_path):
    frame = returned_list()
    frame["result"] = ["maybe", "maybe", "clean"]
    path = tmp_path / "results.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(FeedbackError, match=r"results\.csv: column 'result' has 2 row\(s\).*'maybe'"):
        load_feedback(path, warehouse)
    assert read_table(warehouse, "inspections")["inspection_id"].tolist() == ["I1", "I2", "I3"]


def test_unknown_target_is_refused(warehouse, tmp_path):
    frame = returned_list()
    frame["result"] = ["clean", "clean", "clean"]
    frame.loc[1, "target_id"] = "ZZZ404"
    path = tmp_path / "results.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(FeedbackError, match=r"column 'target_id' has 1 row\(s\).*'ZZZ404'"):
        load_feedback(path, warehouse)


def test_missing_result_column_is_refused(warehouse, tmp_path):
    path = tmp_path / "results.xlsx"
    write_list_xlsx(path, returned_list(), "zh")
    with pytest.raises(FeedbackError, match="no 'result' column"):
        load_feedback(path, warehouse)


def test_feedback_command_exit_codes(warehouse, tmp_path):
    from gridaudit.cli import commands  # noqa: F401
    from gridaudit.cli.app import app

    frame = returned_list()
    frame["result"] = ["theft", "clean", ""]
    good = tmp_path / "good.csv"
    frame.to_csv(good, index=False)
    result = CliRunner().invoke(app, ["feedback", str(good), "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    assert "2 result(s) added" in result.output
    result = CliRunner().invoke(app, ["feedback", str(good), "--warehouse", str(warehouse)])
    assert "0 result(s) added" in result.output


def test_refusal_names_the_column_as_the_file_titles_it(warehouse, tmp_path):
    frame = xlsx_frame(returned_list(), "zh")
    frame["稽查结果"] = ["窃电", "可疑", ""]
    path = tmp_path / "结果.xlsx"
    frame.to_excel(path, index=False)
    with pytest.raises(
        FeedbackError, match=r"结果\.xlsx: column '稽查结果' \(result\) has 1 row\(s\).*'可疑'"
    ):
        load_feedback(path, warehouse)


def test_bad_recording_date_is_refused(warehouse, tmp_path):
    frame = returned_list()
    frame["result"] = ["clean", "clean", "clean"]
    path = tmp_path / "results.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(FeedbackError, match="recording date 'yesterday'"):
        load_feedback(path, warehouse, recorded="yesterday")
