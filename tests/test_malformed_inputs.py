"""Malformed exports, one tiny file each under tests/data/malformed/, driven by one table.

A case file is named ``<table>__<what is wrong>.<suffix>``. The test builds a raw folder from the
two valid tables in ``_base/`` (customers.csv, readings.csv), puts the case file in as
``<table>.<suffix>`` (replacing the base file of that table) and ingests it. Each case states
either the error (class and the exact sentence fragment) or the exact number of rows quarantined
and the reason written for them. The Excel and Parquet files are written by
``make_binary_cases.py`` in that folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from gridaudit.errors import EXIT_BAD_INPUT, InputError
from gridaudit.ingest import (
    AmbiguousDateError,
    EmptyFileError,
    IngestError,
    MissingColumnError,
    MissingTableError,
    UnreadableFileError,
    ingest,
)
from gridaudit.io import QUARANTINE_DIR, read_table

CASES = Path(__file__).parent / "data" / "malformed"
BASE = CASES / "_base"


@dataclass(frozen=True)
class Case:
    """One malformed input and what ingest must answer.

    error: the InputError subclass raised (None: the run succeeds and quarantines rows);
    expect: a fragment of the error sentence, or of the quarantine's joined reasons;
    quarantined: exact rows quarantined in the case's table (when no error);
    placement: "replace" (the base file of the table is replaced), "beside" (added next to it)
    or "alone" (the only file of the raw folder).
    """

    file: str
    expect: str
    error: type[InputError] | None = None
    quarantined: int | None = None
    placement: str = "replace"

    @property
    def table(self) -> str:
        return self.file.split("__", 1)[0]


ALLOWED_TARIFFS = "(allowed: residential, commercial, large_industrial, agricultural, other)"

# fmt: off
ERROR_CASES = [
    Case("customers__empty.csv", "customers.csv is empty; expected a header line and data rows", EmptyFileError),
    Case("customers__blank_lines_only.csv", "customers.csv is empty; expected a header line and data rows", EmptyFileError),
    Case("customers__header_only.csv", "customers.csv has a header but no data rows; expected at least one row", EmptyFileError),
    Case("readings__header_only.xlsx", "readings.xlsx has a header but no data rows", EmptyFileError),
    Case("customers__no_area_column.csv",
         "customers.csv (customers) has no column for customers.area_id (expected a header named 'area_id', "
         "'台区编号'); its recognised headers are customer_id, tariff_category", MissingColumnError),
    Case("customers__no_header_line.csv",
         "customers.csv (customers) has no column for customers.customer_id (expected a header named "
         "'customer_id', '用户编号', '户号'); no header is recognised, 5 other(s) are not contract names",
         MissingColumnError),
    Case("readings__no_date_column.csv",
         "readings.csv (readings) has no column for readings.date (expected a header named 'date', '日期', "
         "'数据日期')", MissingColumnError),
    Case("readings__zh_no_kwh_column.csv",
         "readings.csv (readings) has no column for readings.kwh (expected a header named 'kwh', '日电量', "
         "'电量'); its recognised headers are 用户编号, 日期", MissingColumnError),
    Case("readings__no_kwh_column.parquet", "readings.parquet (readings) has no column for readings.kwh",
         MissingColumnError),
    Case("bills__no_kwh_billed_column.csv",
         "bills.csv (bills) has no column for bills.kwh_billed (expected a header named 'kwh_billed', '结算电量')",
         MissingColumnError),
    Case("inspections__zh_no_result_column.csv",
         "inspections.csv (inspections) has no column for inspections.result (expected a header named "
         "'result', '稽查结果')", MissingColumnError),
    Case("customers__workbook_named_csv.csv",
         "customers.csv is an Excel workbook (or another zip file), not CSV text; rename it to customers.xlsx",
         UnreadableFileError),
    Case("customers__parquet_named_csv.csv",
         "customers.csv is a Parquet file, not CSV text; rename it to customers.parquet", UnreadableFileError),
    Case("customers__text_named_parquet.parquet",
         "customers.parquet could not be read as a Parquet file (it is damaged or not Parquet); export it again",
         UnreadableFileError),
    Case("customers__text_named_xlsx.xlsx", "customers.xlsx could not be read as an Excel workbook",
         UnreadableFileError),
    Case("readings__binary_nulls.csv", "readings.csv is a binary file, not CSV text", UnreadableFileError),
    Case("readings__unknown_encoding.csv",
         "readings.csv is neither UTF-8 nor GBK/GB18030 text; export it again as UTF-8 CSV", UnreadableFileError),
    Case("readings__thousands_comma.csv",
         "readings.csv has rows with more fields than its header has columns (often a number written with a "
         "thousands comma such as 1,000 without quotes)", UnreadableFileError),
    Case("readings__ragged_rows.csv",
         "readings.csv is not a well-formed CSV file: Error tokenizing data. C error: Expected 3 fields in "
         "line 3, saw 4", UnreadableFileError),
    Case("readings__ambiguous_day_month.csv",
         "readings.csv (readings): dates in readings.date such as '05/01/2024' can be read as day/month/year "
         "or month/day/year and no date in the column tells which; export the dates as YYYY-MM-DD",
         AmbiguousDateError),
    Case("readings__dates_both_orders.csv",
         "readings.csv (readings): readings.date writes dates both day first and month first (for example "
         "'13/01/2024' and '01/13/2024'); export the dates as YYYY-MM-DD", AmbiguousDateError),
    Case("customers__second_source.xlsx",
         "the raw folder has two sources for table customers: customers.csv and customers.xlsx; keep one of them",
         IngestError, placement="beside"),
    Case("readings__without_customers.csv", "has no customers table (customers.csv, customers.xlsx, "
         "customers.parquet or a customers/ folder); every other table refers to it", MissingTableError,
         placement="alone"),
    Case("customers__without_readings_or_bills.csv", "has neither readings nor bills", MissingTableError,
         placement="alone"),
    Case("readings__json_not_a_table_format.json", "has neither readings nor bills", MissingTableError),
]

QUARANTINE_CASES = [
    Case("customers__unknown_tariff_category.csv",
         f"unknown tariff category '商住' in customers.tariff_category {ALLOWED_TARIFFS}", quarantined=1),
    Case("customers__unknown_category.parquet",
         f"unknown tariff category 'street_lighting' in customers.tariff_category {ALLOWED_TARIFFS}", quarantined=1),
    Case("customers__duplicate_customer.csv",
         "duplicate customers key (customer_id=C0001); the first row is kept", quarantined=1),
    Case("customers__multiplier_zero.csv", "meter multiplier 0 in customers.meter_multiplier must be > 0",
         quarantined=1),
    Case("customers__negative_capacity.csv",
         "negative contract capacity kva -5 in customers.contract_capacity_kva", quarantined=1),
    Case("customers__tariff_category_empty.csv", "missing customers.tariff_category (required)", quarantined=1),
    Case("customers__connect_date_unreadable.csv", "unreadable date '去年' in customers.connect_date",
         quarantined=1),
    Case("readings__negative_kwh.csv", "negative kwh -3 in readings.kwh", quarantined=1),
    Case("readings__negative_kwh.xlsx", "negative kwh -2 in readings.kwh", quarantined=1),
    Case("readings__negative_kwh.parquet", "negative kwh -4 in readings.kwh", quarantined=1),
    Case("readings__impossible_date.csv", "unreadable date '2024-13-45' in readings.date", quarantined=1),
    Case("readings__kwh_not_a_number.csv", "not a number 'abc' in readings.kwh", quarantined=1),
    Case("readings__kwh_infinite.csv", "not a number 'inf' in readings.kwh", quarantined=1),
    Case("readings__duplicate_day_other_format.csv",
         "duplicate readings key (customer_id=C0001, date=2024-01-05); the first row is kept", quarantined=1),
    Case("readings__unknown_customer.csv", "readings.customer_id 'C9999' is not in customers.customer_id",
         quarantined=1),
    Case("readings__gbk_zh_unknown_customer.csv", "readings.customer_id 'C0404' is not in customers.customer_id",
         quarantined=1),
    Case("readings__unknown_customer_second_sheet_ignored.xlsx",
         "readings.customer_id 'C0003' is not in customers.customer_id", quarantined=1),
    Case("readings__customer_id_empty.csv", "missing readings.customer_id (required)", quarantined=1),
    Case("readings__two_problems_in_one_row.csv",
         "missing readings.customer_id (required); negative kwh -3 in readings.kwh", quarantined=1),
    Case("readings__three_bad_rows.csv",
         "negative kwh -1 in readings.kwh | unreadable date 'bad' in readings.date | "
         "readings.customer_id 'C0009' is not in customers.customer_id", quarantined=3),
    Case("readings__interval_duplicate_and_negative.csv",
         "duplicate readings key (customer_id=C0001, timestamp=2024-01-05 00:15:00); the first row is kept | "
         "negative kwh -1 in readings.kwh", quarantined=2),
    Case("bills__period_months_not_whole.csv", "not a whole number '1.5' in bills.period_months", quarantined=1),
    Case("bills__kwh_billed_empty.csv", "missing bills.kwh_billed (required)", quarantined=1),
    Case("bills__duplicate_bill.csv",
         "duplicate bills key (customer_id=C0001, meter_id=M1, read_date=2024-01-31); the first row is kept",
         quarantined=1),
    Case("inspections__unknown_work_order.csv",
         "inspections.target_id 'W9' (work order) is not in work_orders.order_id", quarantined=1),
    Case("inspections__unknown_customer.csv",
         "inspections.target_id 'C0404' (customer) is not in customers.customer_id", quarantined=1),
    Case("inspections__unknown_result.csv", "unknown result '良好' in inspections.result (allowed: clean, theft, "
         "violation, tariff_error, metering_error, billing_error, process_error)", quarantined=1),
    Case("inspections__unknown_target_type.csv",
         "unknown target type '台区' in inspections.target_type (allowed: customer, work_order)", quarantined=1),
    Case("inspections__probability_above_one.csv",
         "inclusion probability 1.5 in inspections.inclusion_probability must be <= 1", quarantined=1),
    Case("area_line_loss__month_13.csv",
         "unreadable month (expected YYYY-MM) '2024-13' in area_line_loss.month", quarantined=1),
    Case("area_line_loss__negative_supplied.csv",
         "negative supplied kwh -100 in area_line_loss.supplied_kwh", quarantined=1),
    Case("billing_adjustments__duplicate_id.csv",
         "duplicate billing_adjustments key (adjustment_id=A1); the first row is kept", quarantined=1),
    Case("billing_adjustments__unknown_kind.csv", "unknown kind '罚款' in billing_adjustments.kind (allowed: "
         "refund, supplement, reading_edit, multiplier_edit, tariff_edit, estimated_bill, other)", quarantined=1),
    Case("work_orders__created_at_unreadable.csv",
         "unreadable date and time '2024-01-10 25:99' in work_orders.created_at", quarantined=1),
    Case("work_orders__unknown_customer.csv", "work_orders.customer_id 'C7777' is not in customers.customer_id",
         quarantined=1),
]
# fmt: on


def raw_folder(case: Case, folder: Path) -> Path:
    """The base tables with the case file put in as ``<table>.<suffix>``."""
    folder.mkdir(parents=True)
    if case.placement != "alone":
        for base in BASE.iterdir():
            if case.placement == "beside" or base.name.split(".")[0] != case.table:
                shutil.copy(base, folder / base.name)
    shutil.copy(CASES / case.file, folder / f"{case.table}{Path(case.file).suffix}")
    return folder


def test_every_case_file_is_in_the_table_and_there_are_at_least_30():
    listed = {c.file for c in ERROR_CASES + QUARANTINE_CASES}
    on_disk = {p.name for p in CASES.iterdir() if "__" in p.name}
    assert listed == on_disk
    assert len(listed) >= 30


@pytest.mark.parametrize("case", ERROR_CASES, ids=lambda c: c.file)
def test_table_that_fails_entirely_gets_one_sentence(case, tmp_path):
    raw = raw_folder(case, tmp_path / "raw")
    with pytest.raises(case.error) as info:
        ingest(raw, tmp_path / "wh")
    message = str(info.value)
    assert isinstance(info.value, InputError)
    assert case.expect in message
    assert "\n" not in message and "Traceback" not in message
    assert not (tmp_path / "wh").exists()  # nothing written before every table passed


@pytest.mark.parametrize("case", QUARANTINE_CASES, ids=lambda c: c.file)
def test_bad_rows_are_quarantined_with_their_reason(case, tmp_path):
    raw = raw_folder(case, tmp_path / "raw")
    report = ingest(raw, tmp_path / "wh")
    result = report.tables[case.table]
    assert result.quarantined == case.quarantined
    assert result.read == result.accepted + result.quarantined
    quarantine = pd.read_csv(
        tmp_path / "wh" / QUARANTINE_DIR / f"{case.table}.csv", dtype=str, encoding="utf-8-sig"
    )
    assert " | ".join(quarantine["reason"]) == case.expect
    assert len(read_table(tmp_path / "wh", case.table)) == result.stored  # interval rows: summed to days
    assert (quarantine["source_file"] == f"{case.table}{Path(case.file).suffix}").all()


# ---------------------------------------------------------------- the command line
CLI_CASES = [
    next(c for c in ERROR_CASES if c.file == name)
    for name in (
        "customers__header_only.csv",
        "readings__no_date_column.csv",
        "customers__workbook_named_csv.csv",
        "readings__without_customers.csv",
    )
]


def one_sentence(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("gridaudit: "), stderr
    assert "Traceback" not in stderr
    return re.sub(r"\s+", " ", lines[0])


@pytest.mark.parametrize("case", CLI_CASES, ids=lambda c: c.file)
def test_cli_exits_2_with_one_sentence(case, tmp_path, monkeypatch, capsys):
    """gridaudit.cli.main (the installed entry point) in this process."""
    from gridaudit.cli import main

    raw = raw_folder(case, tmp_path / "raw")
    monkeypatch.setattr(sys, "argv", ["gridaudit", "ingest", str(raw), "--warehouse", str(tmp_path / "wh")])
    monkeypatch.setenv("COLUMNS", "400")
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == EXIT_BAD_INPUT
    assert case.expect in one_sentence(capsys.readouterr().err)
    assert not (tmp_path / "wh").exists()


def test_cli_as_a_user_runs_it_exits_2_without_traceback(tmp_path):
    """The same through a new Python process: nothing but the sentence reaches the terminal."""
    case = CLI_CASES[1]
    raw = raw_folder(case, tmp_path / "raw")
    env = {**os.environ, "COLUMNS": "400", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "gridaudit", "ingest", str(raw), "--warehouse", str(tmp_path / "wh")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == EXIT_BAD_INPUT, done.stderr
    assert case.expect in one_sentence(done.stderr)
    assert done.stdout == ""
