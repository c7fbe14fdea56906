"""Adapters: STEG and SGCC layouts mapped into the contract's raw tables."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from gridaudit.adapters import contract_problems, convert_sgcc, convert_sgcc_with_report, convert_steg
from gridaudit.adapters.sgcc import SgccFormatError
from gridaudit.adapters.steg import StegFormatError


def steg_sample() -> tuple[pd.DataFrame, pd.DataFrame]:
    clients = pd.DataFrame(
        {
            "disrict": [60, 62, 69],
            "client_id": ["c1", "c2", "c3"],
            "client_catg": [11, 12, 51],
            "region": [101, 301, 107],
            "creation_date": ["31/12/1994", "29/05/2002", "13/03/1986"],
            "target": [0, 1, np.nan],
        }
    )
    invoices = pd.DataFrame(
        {
            "client_id": ["c1", "c1", "c1", "c2", "c3"],
            "invoice_date": ["2014-03-24", "2014-07-24", "2014-07-24", "2015-01-02", "2019-12-01"],
            "tarif_type": [11, 11, 40, 11, 10],
            "counter_number": [1335667, 1335667, 555, 42, 7],
            "counter_statue": ["0", "0", "0", "1", "A"],
            "counter_code": [203, 203, 5, 203, 413],
            "reading_remarque": [8, 6, 6, 9, 6],
            "counter_coefficient": [1, 1, 1, 1, 0],
            "consommation_level_1": [82, 400, 10, 0, 5],
            "consommation_level_2": [0, 120, 0, 0, 0],
            "consommation_level_3": [0, 0, 0, 0, 0],
            "consommation_level_4": [0, 0, 0, 0, 0],
            "old_index": [14302, 14384, 100, 900, 0],
            "new_index": [14384, 14904, 110, 950, 5],
            "months_number": [4, 4, 4, 8, 4],
            "counter_type": ["ELEC", "ELEC", "GAZ", "ELEC", "ELEC"],
        }
    )
    return clients, invoices


def test_steg_customers_mapping():
    customers = convert_steg(*steg_sample())["customers"]
    assert customers["customer_id"].tolist() == ["c1", "c2", "c3"]
    assert customers["tariff_category"].tolist() == ["residential", "commercial", "large_industrial"]
    assert customers["client_catg"].tolist() == ["11", "12", "51"]
    assert customers["area_id"].tolist() == ["D60-R101", "D62-R301", "D69-R107"]
    assert customers["connect_date"].tolist() == [
        pd.Timestamp("1994-12-31"),
        pd.Timestamp("2002-05-29"),
        pd.Timestamp("1986-03-13"),
    ]


def test_steg_bills_mapping():
    bills = convert_steg(*steg_sample())["bills"]
    first = bills.iloc[1]
    assert first["meter_id"] == "1335667-ELEC"
    assert first["read_date"] == pd.Timestamp("2014-07-24")
    assert (first["start_reading"], first["end_reading"], first["multiplier"]) == (14384.0, 14904.0, 1.0)
    assert (first["kwh_tier_1"], first["kwh_tier_2"], first["kwh_billed"]) == (400.0, 120.0, 520.0)
    assert first["period_months"] == 4
    assert (first["meter_status"], first["reading_remark"], first["tariff_code"]) == ("0", "6", "11")
    assert (first["counter_code"], first["counter_type"], first["meter_type"]) == ("203", "ELEC", "electricity")
    assert bills.iloc[2]["meter_id"] == "555-GAZ"
    assert bills.iloc[2]["meter_type"] == "gas"


def test_steg_labels_become_one_inspection_per_labelled_client():
    inspections = convert_steg(*steg_sample())["inspections"]
    assert inspections["target_id"].tolist() == ["c1", "c2"]  # c3 has no target
    assert inspections["result"].tolist() == ["clean", "theft"]
    assert set(inspections["date"]) == {pd.Timestamp("2020-01-15")}
    assert set(inspections["selection"]) == {"unknown"}
    assert inspections["inspection_id"].is_unique


def test_steg_contract_breaks_are_counted_not_dropped():
    clients, invoices = steg_sample()
    invoices = pd.concat([invoices, invoices.iloc[[0]]], ignore_index=True)  # a duplicated invoice
    tables = convert_steg(clients, invoices)
    assert len(tables["bills"]) == 6
    problems = contract_problems(tables).set_index(["table", "column"])
    assert problems.loc[("bills", "customer_id+meter_id+read_date"), "rows"] == 1  # the repeat
    assert problems.loc[("bills", "multiplier"), "rows"] == 1  # counter_coefficient 0


def test_steg_missing_column_is_named():
    clients, invoices = steg_sample()
    with pytest.raises(StegFormatError, match="new_index"):
        convert_steg(clients, invoices.drop(columns="new_index"))


def sgcc_wide() -> pd.DataFrame:
    # headers out of date order, padded and unpadded; row "d" copies row "a" under another number
    return pd.DataFrame(
        {
            "1/3/2014": [3.0, 0.0, np.nan, 3.0],
            "01/01/2014": [1.0, 0.0, 5.0, 1.0],
            "1/2/2014": [2.0, 0.0, 6.0, 2.0],
            "CONS_NO": ["a", "b", "c", "d"],
            "FLAG": [1, 0, 0, 1],
        }
    )


def test_sgcc_readings_are_long_and_keep_missing():
    tables = convert_sgcc(sgcc_wide())
    readings = tables["readings"]
    assert len(readings) == 12
    a = readings[readings["customer_id"] == "a"]
    assert a["date"].tolist() == list(pd.date_range("2014-01-01", "2014-01-03"))
    assert a["kwh"].tolist() == [1.0, 2.0, 3.0]
    c = readings[readings["customer_id"] == "c"].set_index("date")["kwh"]
    assert np.isnan(c[pd.Timestamp("2014-01-03")])


def test_sgcc_customers_and_inspections():
    tables = convert_sgcc(sgcc_wide())
    customers = tables["customers"]
    assert customers["customer_id"].tolist() == ["a", "b", "c", "d"]
    assert set(customers["tariff_category"]) == {"residential"}
    assert set(customers["area_id"]) == {"SGCC"}
    inspections = tables["inspections"]
    assert inspections["result"].tolist() == ["theft", "clean", "clean", "theft"]
    assert set(inspections["date"]) == {pd.Timestamp("2014-02-01")}  # the month after the curve


def test_sgcc_copies_share_a_group_and_are_reported():
    tables, report = convert_sgcc_with_report(sgcc_wide())
    group = tables["customers"].set_index("customer_id")["duplicate_group"]
    assert group["a"] == group["d"]
    assert len({group["a"], group["b"], group["c"]}) == 3
    assert (report.copied_rows, report.copied_with_other_label, report.repeated_ids) == (1, 0, 0)
    assert report.empty_rows == 1  # "b" is all zero: not grouped with other empty rows


def test_sgcc_empty_rows_are_not_grouped_together():
    wide = sgcc_wide()
    wide.loc[len(wide)] = [0.0, 0.0, 0.0, "e", 0]
    group = convert_sgcc(wide)["customers"].set_index("customer_id")["duplicate_group"]
    assert group["b"] != group["e"]


def test_sgcc_repeated_id_keeps_first_row():
    wide = pd.concat([sgcc_wide(), sgcc_wide().iloc[[1]]], ignore_index=True)
    tables, report = convert_sgcc_with_report(wide)
    assert report.repeated_ids == 1
    assert tables["customers"]["customer_id"].is_unique
    assert len(contract_problems(tables)) == 0


def test_sgcc_bad_header_is_named():
    wide = sgcc_wide().rename(columns={"1/2/2014": "total"})
    with pytest.raises(SgccFormatError, match="total"):
        convert_sgcc(wide)


def test_sgcc_conversion_raises_no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        convert_sgcc(sgcc_wide())


def test_convert_real_slices(shared_data):
    steg = shared_data / "steg"
    if not (steg / "client_dev.parquet").exists():
        pytest.skip("STEG dev files absent")
    clients = pd.read_parquet(steg / "client_dev.parquet").head(200)
    ids = clients["client_id"].tolist()
    invoices = pd.read_parquet(steg / "invoice_dev.parquet", filters=[("client_id", "in", ids)])
    tables = convert_steg(clients, invoices)
    assert tables["customers"]["customer_id"].is_unique
    assert len(tables["bills"]) == len(invoices)
    assert set(tables["customers"]["tariff_category"]) <= {"residential", "commercial", "large_industrial", "other"}
    sgcc = shared_data / "sgcc_small" / "sgcc_small_dev.csv"
    if sgcc.exists():
        wide = pd.read_csv(sgcc, nrows=50, dtype={"CONS_NO": str})
        tables = convert_sgcc(wide)
        assert len(tables["readings"]) == 50 * 26
        assert tables["readings"]["date"].min() == pd.Timestamp("2014-01-01")
        assert tables["readings"]["date"].max() == pd.Timestamp("2014-01-26")


def test_cli_convert_sgcc(tmp_path):
    from typer.testing import CliRunner

    from gridaudit.cli import commands  # noqa: F401
    from gridaudit.cli.app import app

    path = tmp_path / "sgcc.csv"
    sgcc_wide().to_csv(path, index=False)
    result = CliRunner().invoke(app, ["convert", "sgcc", "--data", str(path), "--out", str(tmp_path / "raw")])
    assert result.exit_code == 0, result.output
    assert pd.read_parquet(tmp_path / "raw" / "readings.parquet").shape == (12, 3)


def test_ingest_quarantines_what_contract_problems_counts_and_keeps_extra_columns(tmp_path):
    from gridaudit.ingest import ingest
    from gridaudit.io import read_tables, write_parquet

    clients, invoices = steg_sample()
    invoices = pd.concat([invoices, invoices.iloc[[0]]], ignore_index=True)
    tables = convert_steg(clients, invoices)
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, frame in tables.items():
        write_parquet(raw / f"{name}.parquet", frame)
    report = ingest(raw, tmp_path / "warehouse")
    expected = contract_problems(tables).query("table == 'bills'")["rows"].sum()
    assert report.tables["bills"].quarantined == expected == 2  # the repeated invoice, the 0 coefficient
    stored = read_tables(tmp_path / "warehouse")
    assert len(stored["bills"]) == 4
    assert {"meter_type", "counter_code"} <= set(stored["bills"].columns)


def test_cli_convert_steg_reports_contract_breaks(tmp_path):
    from typer.testing import CliRunner

    from gridaudit.cli import commands  # noqa: F401
    from gridaudit.cli.app import app

    clients, invoices = steg_sample()
    clients.to_parquet(tmp_path / "client.parquet")
    invoices.to_parquet(tmp_path / "invoice.parquet")
    args = ["convert", "steg", "--clients", str(tmp_path / "client.parquet"),
            "--invoices", str(tmp_path / "invoice.parquet"), "--out", str(tmp_path / "raw_steg")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "raw_steg").iterdir()) == [
        "bills.parquet", "customers.parquet", "inspections.parquet"
    ]
    assert "multiplier: 1 rows <= 0" in result.output
