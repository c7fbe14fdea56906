"""Ingest: raw exports -> checked warehouse, quarantine with reasons, counts that add up."""

from __future__ import annotations

import io
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from gridaudit.contract import TABLES
from gridaudit.errors import InputError
from gridaudit.ingest import (
    EmptyFileError,
    MissingColumnError,
    MissingTableError,
    UnreadableFileError,
    ingest,
    read_raw_table,
)
from gridaudit.ingest.values import to_datetime, to_month
from gridaudit.io import QUARANTINE_DIR, read_manifest, read_table

DATA = Path(__file__).parent / "data" / "ingest"

CUSTOMERS = (
    "customer_id,tariff_category,area_id,name,phone\n"
    "C0001,residential,TA-1,张三,13800000001\n"
    "C0002,commercial,TA-1,李四,13800000002\n"
)
READINGS = "customer_id,date,kwh\nC0001,2024-01-05,3.2\nC0002,2024-01-05,5.0\n"


def write_raw(folder: Path, files: dict[str, str | bytes], encoding: str = "utf-8") -> Path:
    """A raw folder from {relative name: text or bytes}; text is written in ``encoding``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode(encoding))
    return folder


def base(**overrides: str | bytes | None) -> dict[str, str | bytes]:
    """The two valid tables, with some files replaced (None removes a file)."""
    files: dict[str, str | bytes | None] = {"customers.csv": CUSTOMERS, "readings.csv": READINGS}
    files.update({k.replace("__", "/").replace("_DOT_", "."): v for k, v in overrides.items()})
    return {k: v for k, v in files.items() if v is not None}


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def quarantine_of(warehouse: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(warehouse / QUARANTINE_DIR / f"{table}.csv", dtype=str, encoding="utf-8-sig")


# ---------------------------------------------------------------- case 01: GBK, Chinese headers
@pytest.fixture(params=["copy", "shared"])
def case01_dir(request) -> Path:
    if request.param == "copy":
        return DATA
    return request.getfixturevalue("cases_dir") / "01-gbk-chinese-headers"


def test_gbk_chinese_headers_and_english_files_give_identical_tables(case01_dir, tmp_path, caplog):
    """Case 01: GBK Chinese export == English export; the empty 2024-01-06 reading stays missing."""
    for variant, suffix in (("en", "en"), ("zh", "zh_gbk")):
        raw = tmp_path / f"raw_{variant}"
        raw.mkdir()
        shutil.copy(case01_dir / f"customers_{suffix}.csv", raw / "customers.csv")
        shutil.copy(case01_dir / f"readings_{suffix}.csv", raw / "readings.csv")
    caplog.set_level(logging.DEBUG)
    report_en = ingest(tmp_path / "raw_en", tmp_path / "wh_en")
    report_zh = ingest(tmp_path / "raw_zh", tmp_path / "wh_zh")

    for table in ("customers", "readings"):
        english = read_table(tmp_path / "wh_en", table)
        chinese = read_table(tmp_path / "wh_zh", table)
        pd.testing.assert_frame_equal(english, chinese)
    readings = read_table(tmp_path / "wh_zh", "readings")
    day = readings.loc[(readings["customer_id"] == "C0001") & (readings["date"] == "2024-01-06"), "kwh"]
    assert len(day) == 1 and np.isnan(day.iloc[0])
    assert readings["kwh"].tolist()[-1] == 0.0  # C0004 used 0 kWh: a real zero stays zero

    customers_notes = report_zh.tables["customers"].notes()
    assert "encoding GBK" in customers_notes
    assert report_zh.tables["customers"].header_mapping["用户编号"] == "customer_id"
    assert report_zh.tables["readings"].header_mapping == {
        "用户编号": "customer_id",
        "日期": "date",
        "日电量": "kwh",
    }
    assert report_zh.tables["customers"].values_mapped == {"tariff_category": 4}
    assert "encoding UTF-8" in report_en.tables["customers"].notes()
    manifest = read_manifest(tmp_path / "wh_zh")
    assert manifest["tables"]["readings"]["source_files"][0]["encoding"] == "gbk"

    console = Console(record=True, width=200)
    console.print(report_zh.to_rich())
    console.print(report_en.to_rich())
    shown = console.export_text() + caplog.text + json.dumps(manifest, ensure_ascii=False)
    for secret in ("张三", "李四", "某某商店", "13800000001", "13800000004"):
        assert secret not in shown


# ---------------------------------------------------------------- malformed inputs
ERRORS = [
    ("no customers", base(customers_DOT_csv=None), MissingTableError, "has no customers table"),
    (
        "no readings nor bills",
        base(readings_DOT_csv=None),
        MissingTableError,
        "has neither readings nor bills",
    ),
    (
        "header only",
        base(customers_DOT_csv="customer_id,tariff_category,area_id\n"),
        EmptyFileError,
        "customers.csv has a header but no data rows",
    ),
    ("empty file", base(customers_DOT_csv=""), EmptyFileError, "customers.csv is empty"),
    (
        "required column missing",
        base(customers_DOT_csv="customer_id,tariff_category\nC0001,residential\n"),
        MissingColumnError,
        "customers.csv (customers) has no column for customers.area_id (expected a header named "
        "'area_id', '台区编号')",
    ),
    (
        "workbook saved as csv",
        base(customers_DOT_csv=xlsx_bytes([["customer_id"], ["C0001"]])),
        UnreadableFileError,
        "customers.csv is an Excel workbook",
    ),
    (
        "not parquet",
        base(customers_DOT_csv=None, customers_DOT_parquet=CUSTOMERS),
        UnreadableFileError,
        "customers.parquet could not be read as a Parquet file",
    ),
    (
        "not a workbook",
        base(customers_DOT_csv=None, customers_DOT_xlsx=CUSTOMERS),
        UnreadableFileError,
        "customers.xlsx could not be read as an Excel workbook",
    ),
    (
        "two sources",
        base(customers_DOT_xlsx=xlsx_bytes([["customer_id"], ["C0001"]])),
        InputError,
        "two sources for table customers: customers.csv and customers.xlsx",
    ),
    (
        "unquoted thousands comma",
        base(readings_DOT_csv="customer_id,date,kwh\nC0001,2024-01-05,1,000\n"),
        UnreadableFileError,
        "readings.csv has rows with more fields than its header has columns",
    ),
    (
        "ragged rows",
        base(readings_DOT_csv="customer_id,date,kwh\nC0001,2024-01-05,1\nC0001,2024-01-06,1,000\n"),
        UnreadableFileError,
        "readings.csv is not a well-formed CSV file: Error tokenizing data. C error: Expected 3 fields in line 3, saw 4",
    ),
    (
        "unknown encoding",
        base(readings_DOT_csv=b"customer_id,date,kwh\nC0001,2024-01-05,\xff\xfe\xff\n"[:-1] + b"\x80\n"),
        UnreadableFileError,
        "readings.csv is neither UTF-8 nor GBK/GB18030 text",
    ),
]


@pytest.mark.parametrize(
    ("files", "error", "fragment"),
    [pytest.param(f, e, m, id=name) for name, f, e, m in ERRORS],
)
def test_input_errors_name_file_column_and_expectation(files, error, fragment, tmp_path):
    raw = write_raw(tmp_path / "raw", files)
    with pytest.raises(error) as info:
        ingest(raw, tmp_path / "wh")
    assert isinstance(info.value, InputError)
    assert fragment in str(info.value)
    assert not (tmp_path / "wh").exists()  # nothing written before every table passed


INSPECTIONS = (
    "inspection_id,target_type,target_id,date,result,inclusion_probability\n"
    "I1,customer,C0001,2024-02-01,clean,\n"
)
QUARANTINES = [
    (
        "unknown tariff category",
        base(customers_DOT_csv=CUSTOMERS + "C0003,商住,TA-1,王五,13800000003\n"),
        "customers",
        "unknown tariff category '商住' in customers.tariff_category",
    ),
    (
        "negative kwh",
        base(readings_DOT_csv=READINGS + "C0001,2024-01-06,-3\n"),
        "readings",
        "negative kwh -3 in readings.kwh",
    ),
    (
        "unreadable date",
        base(readings_DOT_csv=READINGS + "C0001,2024-13-45,1.0\n"),
        "readings",
        "unreadable date '2024-13-45' in readings.date",
    ),
    (
        "kwh not a number",
        base(readings_DOT_csv=READINGS + "C0001,2024-01-06,abc\n"),
        "readings",
        "not a number 'abc' in readings.kwh",
    ),
    (
        "duplicate reading",
        base(readings_DOT_csv=READINGS + "C0001,2024/1/5,9.9\n"),
        "readings",
        "duplicate readings key (customer_id=C0001, date=2024-01-05); the first row is kept",
    ),
    (
        "duplicate customer",
        base(customers_DOT_csv=CUSTOMERS + "C0001,commercial,TA-2,,\n"),
        "customers",
        "duplicate customers key (customer_id=C0001)",
    ),
    (
        "reading of unknown customer",
        base(readings_DOT_csv=READINGS + "C9999,2024-01-05,1.0\n"),
        "readings",
        "readings.customer_id 'C9999' is not in customers.customer_id",
    ),
    (
        "customer id missing",
        base(readings_DOT_csv=READINGS + ",2024-01-06,1.0\n"),
        "readings",
        "missing readings.customer_id (required)",
    ),
    (
        "multiplier zero",
        base(
            customers_DOT_csv="customer_id,tariff_category,area_id,倍率\nC0001,居民,TA-1,0\nC0002,居民,TA-1,\n"
        ),
        "customers",
        "meter multiplier 0 in customers.meter_multiplier must be > 0",
    ),
    (
        "inspection of unknown work order",
        base(inspections_DOT_csv=INSPECTIONS + "I2,工单,W9,2024-02-01,正常,\n"),
        "inspections",
        "inspections.target_id 'W9' (work order) is not in work_orders.order_id",
    ),
    (
        "unknown inspection result",
        base(inspections_DOT_csv=INSPECTIONS + "I2,customer,C0002,2024-02-01,良好,\n"),
        "inspections",
        "unknown result '良好' in inspections.result",
    ),
    (
        "inclusion probability above one",
        base(inspections_DOT_csv=INSPECTIONS + "I2,customer,C0002,2024-02-01,theft,1.5\n"),
        "inspections",
        "inclusion probability 1.5 in inspections.inclusion_probability must be <= 1",
    ),
    (
        "period months not whole",
        base(
            bills_DOT_csv="customer_id,read_date,kwh_billed,period_months\n"
            "C0001,2024-01-31,30,1\nC0002,2024-01-31,40,1.5\n"
        ),
        "bills",
        "not a whole number '1.5' in bills.period_months",
    ),
    (
        "unreadable month",
        base(
            area_line_loss_DOT_csv="area_id,month,supplied_kwh,billed_kwh\n"
            "TA-1,2024-01,100,90\nTA-1,2024-13,100,90\n"
        ),
        "area_line_loss",
        "unreadable month (expected YYYY-MM) '2024-13' in area_line_loss.month",
    ),
    (
        "duplicate across part files",
        base(
            customers_DOT_csv=None,
            customers__part1_DOT_csv=CUSTOMERS,
            customers__part2_DOT_csv="customer_id,tariff_category,area_id\nC0002,其他,TA-9\n",
        ),
        "customers",
        "duplicate customers key (customer_id=C0002)",
    ),
    (
        "required value empty in bills",
        base(bills_DOT_csv="customer_id,read_date,kwh_billed\nC0001,2024-01-31,30\nC0002,2024-01-31,\n"),
        "bills",
        "missing bills.kwh_billed (required)",
    ),
]


@pytest.mark.parametrize(
    ("files", "table", "reason"),
    [pytest.param(f, t, r, id=name) for name, f, t, r in QUARANTINES],
)
def test_bad_rows_are_quarantined_with_reason(files, table, reason, tmp_path):
    raw = write_raw(tmp_path / "raw", files)
    report = ingest(raw, tmp_path / "wh")
    result = report.tables[table]
    assert (result.read, result.quarantined) == (result.accepted + 1, 1)
    quarantine = quarantine_of(tmp_path / "wh", table)
    assert len(quarantine) == 1
    assert reason in quarantine["reason"].iloc[0]
    assert len(read_table(tmp_path / "wh", table)) == result.accepted


# ---------------------------------------------------------------- counts, rows, privacy
def test_counts_add_up_and_quarantine_names_file_and_row(tmp_path):
    readings = READINGS + "C0001,2024-01-06,-1\nC0001,bad,2\nC0009,2024-01-05,1\nC0002,2024-01-06,\n"
    customers = CUSTOMERS + "C0003,商住,TA-1,王小五,13900000009\n"
    raw = write_raw(tmp_path / "raw", base(customers_DOT_csv=customers, readings_DOT_csv=readings))
    report = ingest(raw, tmp_path / "wh")
    counts = {n: (t.read, t.accepted, t.quarantined) for n, t in report.tables.items()}
    assert counts == {"customers": (3, 2, 1), "readings": (6, 3, 3)}
    for t in report.tables.values():
        assert t.read == t.accepted + t.quarantined
    manifest = read_manifest(tmp_path / "wh")
    assert manifest["tables"]["readings"]["rows_read"] == 6
    assert manifest["tables"]["readings"]["quarantined"] == 3

    path = tmp_path / "wh" / QUARANTINE_DIR / "readings.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    quarantine = quarantine_of(tmp_path / "wh", "readings")
    assert quarantine["source_file"].tolist() == ["readings.csv"] * 3
    assert quarantine["source_row"].tolist() == ["4", "5", "6"]  # header is row 1
    assert quarantine["date"].tolist() == ["2024-01-06", "bad", "2024-01-05"]  # original text
    assert report.quarantine_dir == tmp_path / "wh" / QUARANTINE_DIR

    customers_q = quarantine_of(tmp_path / "wh", "customers")
    assert customers_q["name"].tolist() == ["王**"]  # personal columns masked in the quarantine
    assert "13900000009" not in path.parent.joinpath("customers.csv").read_text(encoding="utf-8-sig")
    stored = read_table(tmp_path / "wh", "customers")
    assert stored["name"].tolist() == ["张三", "李四"]  # kept in the warehouse, unmasked


def test_read_raw_table_one_file(tmp_path):
    path = write_raw(tmp_path, {"r.csv": READINGS + "C0001,2024-01-05,7\n"}) / "r.csv"
    frame, quarantine, notes = read_raw_table(path, "readings")
    assert frame.columns.tolist() == ["customer_id", "date", "kwh"]
    assert frame["kwh"].tolist() == [3.2, 5.0]
    assert quarantine["reason"].str.startswith("duplicate readings key").tolist() == [True]
    assert notes.encoding == "utf-8" and notes.rows == 3


# ---------------------------------------------------------------- idempotence and append
def test_reingest_same_files_gives_same_tables(tmp_path):
    raw = write_raw(tmp_path / "raw", base(readings_DOT_csv=READINGS + "C0001,2024-01-06,-1\n"))
    first = ingest(raw, tmp_path / "wh")
    tables = {name: read_table(tmp_path / "wh", name) for name in first.tables}
    second = ingest(raw, tmp_path / "wh")
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(read_table(tmp_path / "wh", name), frame)
        assert second.tables[name].snapshot_hash == first.tables[name].snapshot_hash
    assert second.tables["readings"].quarantined == 1


def test_append_adds_new_keys_and_keeps_stored_rows(tmp_path):
    ingest(write_raw(tmp_path / "raw1", base()), tmp_path / "wh")
    later = "customer_id,date,kwh\nC0001,2024-01-05,99\nC0001,2024-01-06,4.0\n"
    report = ingest(write_raw(tmp_path / "raw2", {"readings.csv": later}), tmp_path / "wh", append=True)
    readings = read_table(tmp_path / "wh", "readings")
    assert readings["kwh"].tolist() == [3.2, 4.0, 5.0]  # 99 for a stored key is not taken
    result = report.tables["readings"]
    assert (result.read, result.accepted, result.quarantined, result.stored) == (2, 1, 1, 3)
    reason = quarantine_of(tmp_path / "wh", "readings")["reason"].iloc[0]
    assert reason == (
        "already in the warehouse (customer_id=C0001, date=2024-01-05); --append keeps the stored row"
    )
    assert len(read_table(tmp_path / "wh", "customers")) == 2  # untouched


def test_full_ingest_removes_tables_the_batch_lacks(tmp_path):
    bills = "customer_id,read_date,kwh_billed\nC0001,2024-01-31,30\n"
    ingest(write_raw(tmp_path / "raw1", base(bills_DOT_csv=bills)), tmp_path / "wh")
    report = ingest(write_raw(tmp_path / "raw2", base()), tmp_path / "wh")
    assert read_table(tmp_path / "wh", "bills", missing_ok=True) is None
    assert any("removed the earlier bills table" in n for n in report.notes)


def test_failed_ingest_leaves_warehouse_untouched(tmp_path):
    ingest(write_raw(tmp_path / "raw1", base()), tmp_path / "wh")
    broken = write_raw(tmp_path / "raw2", base(readings_DOT_csv="customer_id,kwh\nC0001,1\n"))
    with pytest.raises(MissingColumnError, match="readings.date"):
        ingest(broken, tmp_path / "wh")
    assert len(read_table(tmp_path / "wh", "readings")) == 2


# ---------------------------------------------------------------- dates, encodings, formats
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-05", "2024-01-05"),
        ("2024/1/5", "2024-01-05"),
        ("2024.01.05", "2024-01-05"),
        ("20240105", "2024-01-05"),
        ("2024年1月5日", "2024-01-05"),
        ("45296", "2024-01-05"),  # Excel serial day
        ("2024-01-05 13:45:00", "2024-01-05"),  # a date column drops the time of day
        ("2024-01-05T08:00", "2024-01-05"),
        (" 2024-01-05 ", "2024-01-05"),
    ],
)
def test_date_forms(text, expected):
    values, bad = to_datetime(pd.Series([text], dtype="str"), date_only=True)
    assert values.iloc[0] == pd.Timestamp(expected) and not bad.iloc[0]


@pytest.mark.parametrize("text", ["2024-02-30", "2024-13-01", "05/01/2024", "yesterday", "123"])
def test_unreadable_dates_are_bad_not_missing(text):
    values, bad = to_datetime(pd.Series([text], dtype="str"), date_only=True)
    assert pd.isna(values.iloc[0]) and bad.iloc[0]


def test_datetime_keeps_time_and_empty_is_missing_not_bad():
    values, bad = to_datetime(pd.Series(["2024-01-05 13:45:10", "", None], dtype="str"), date_only=False)
    assert values.iloc[0] == pd.Timestamp("2024-01-05 13:45:10")
    assert values.iloc[1:].isna().all() and not bad.any()


def test_months():
    values, bad = to_month(pd.Series(["2024-01", "2024/3", "202405", "2024-07-15", "2024-13"], dtype="str"))
    assert values.iloc[:4].tolist() == ["2024-01", "2024-03", "2024-05", "2024-07"]
    assert bad.tolist() == [False, False, False, False, True]


@pytest.mark.parametrize(
    ("encoding", "shown"),
    [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8-BOM"), ("gbk", "GBK"), ("gb18030", "GB18030")],
)
def test_encodings(encoding, shown, tmp_path):
    customers = "用户编号,用电类别,台区编号,户名\nC0001,居民生活,TA-1,张三\nC0002,大工业,TA-1,㐀㐁\n"
    if encoding == "gbk":
        customers = customers.replace("㐀㐁", "王五")  # not in GBK; GB18030 has it
    raw = write_raw(tmp_path / "raw", base(customers_DOT_csv=customers), encoding=encoding)
    report = ingest(raw, tmp_path / "wh")
    assert f"encoding {shown}" in report.tables["customers"].notes()
    stored = read_table(tmp_path / "wh", "customers")
    assert stored["tariff_category"].tolist() == ["residential", "large_industrial"]
    assert stored["name"].iloc[0] == "张三"


def test_xlsx_with_chinese_headers_keeps_text_ids_and_reads_dates(tmp_path):
    import datetime as dt

    workbook = xlsx_bytes(
        [
            ["用户编号", "用电类别", "台区编号", "立户日期", "合同容量"],
            ["00123", "居民", "TA-1", dt.datetime(2020, 3, 1), 8],
            ["C0002", "商业", "TA-1", "2021/6/30", 12.5],
        ]
    )
    readings = "customer_id,date,kwh\n00123,2024-01-05,1\n"
    raw = write_raw(
        tmp_path / "raw", base(customers_DOT_csv=None, customers_DOT_xlsx=workbook, readings_DOT_csv=readings)
    )
    report = ingest(raw, tmp_path / "wh")
    stored = read_table(tmp_path / "wh", "customers")
    assert stored["customer_id"].tolist() == ["00123", "C0002"]
    assert stored["connect_date"].tolist() == [pd.Timestamp("2020-03-01"), pd.Timestamp("2021-06-30")]
    assert stored["contract_capacity_kva"].tolist() == [8.0, 12.5]
    assert report.tables["readings"].quarantined == 0
    assert "Excel sheet Sheet" in report.tables["customers"].notes()


def test_ids_stay_text_in_csv(tmp_path):
    customers = "customer_id,tariff_category,area_id\n00123,residential,0042\n"
    raw = write_raw(
        tmp_path / "raw",
        base(customers_DOT_csv=customers, readings_DOT_csv="customer_id,date,kwh\n00123,2024-01-05,1\n"),
    )
    ingest(raw, tmp_path / "wh")
    stored = read_table(tmp_path / "wh", "customers")
    assert (stored["customer_id"].iloc[0], stored["area_id"].iloc[0]) == ("00123", "0042")


def test_typed_parquet_input_equals_csv_input(tmp_path):
    csv_raw = write_raw(tmp_path / "csv", base(readings_DOT_csv=READINGS + "C0002,2024-01-06,\n"))
    frame = pd.DataFrame(
        {
            "customer_id": ["C0001", "C0002", "C0002"],
            "date": pd.to_datetime(["2024-01-05", "2024-01-05", "2024-01-06"]),
            "kwh": [3.2, 5.0, np.nan],
        }
    )
    pq_raw = write_raw(tmp_path / "pq", base(readings_DOT_csv=None))
    frame.to_parquet(pq_raw / "readings.parquet", index=False)
    ingest(csv_raw, tmp_path / "wh_csv")
    ingest(pq_raw, tmp_path / "wh_pq")
    pd.testing.assert_frame_equal(
        read_table(tmp_path / "wh_csv", "readings"), read_table(tmp_path / "wh_pq", "readings")
    )


# ---------------------------------------------------------------- defaults, extras, unknown files
def test_defaults_filled_and_counted(tmp_path):
    inspections = (
        "inspection_id,target_type,target_id,date,result,selection\n"
        "I1,用户,C0001,2024-02-01,窃电,\nI2,customer,C0002,2024-02-01,clean,抽查\n"
    )
    raw = write_raw(tmp_path / "raw", base(inspections_DOT_csv=inspections))
    report = ingest(raw, tmp_path / "wh")
    customers = read_table(tmp_path / "wh", "customers")
    assert customers["meter_multiplier"].tolist() == [1.0, 1.0]
    stored = read_table(tmp_path / "wh", "inspections")
    assert stored["selection"].tolist() == ["unknown", "random"]
    assert stored["target_type"].tolist() == ["customer", "customer"]
    assert stored["result"].tolist() == ["theft", "clean"]
    assert report.tables["inspections"].defaults_filled == {"selection": 1}
    assert report.tables["customers"].defaults_filled == {"meter_multiplier": 2}
    assert report.tables["inspections"].values_mapped == {"target_type": 1, "result": 1, "selection": 1}


def test_extra_columns_kept_unknown_files_reported_underscore_ignored(tmp_path):
    customers = "customer_id,tariff_category,area_id,remark\nC0001,residential,TA-1,vip\nC0002,other,TA-1,\n"
    raw = write_raw(
        tmp_path / "raw",
        base(customers_DOT_csv=customers, notes_DOT_txt="hello", _truth__labels_DOT_csv="x\n1\n"),
    )
    report = ingest(raw, tmp_path / "wh")
    assert read_table(tmp_path / "wh", "customers")["remark"].tolist()[0] == "vip"
    assert report.unknown_files == ["notes.txt"]
    assert "extra columns kept: remark" in report.tables["customers"].notes()
    assert any("inspections" in note for note in report.notes)


def test_cli_prints_counts_and_quarantine_folder(tmp_path):
    from typer.testing import CliRunner

    from gridaudit.cli import commands  # noqa: F401
    from gridaudit.cli.app import app

    raw = write_raw(tmp_path / "raw", base(readings_DOT_csv=READINGS + "C0001,2024-01-06,-1\n"))
    result = CliRunner().invoke(app, ["ingest", str(raw), "--warehouse", str(tmp_path / "wh")])
    assert result.exit_code == 0, result.output
    assert "readings" in result.output and "quarantined" in result.output
    assert "_quarantine" in result.output.replace("\n", "")
    assert "张三" not in result.output
    missing = write_raw(tmp_path / "raw2", base(customers_DOT_csv=None))
    result = CliRunner().invoke(app, ["ingest", str(missing), "--warehouse", str(tmp_path / "wh2")])
    assert isinstance(result.exception, MissingTableError)


def test_interval_readings_are_summed_to_days(tmp_path):
    readings = (
        "customer_id,timestamp,kwh\n"
        "C0001,2024-01-05 00:00,1.0\nC0001,2024-01-05 00:15,0.5\nC0001,2024-01-05 00:15,9\n"
        "C0001,2024-01-06 00:00,\nC0002,2024-01-05 12:00,2.0\nC0002,2024-01-05 12:15,-1\n"
    )
    report = ingest(write_raw(tmp_path / "raw", base(readings_DOT_csv=readings)), tmp_path / "wh")
    stored = read_table(tmp_path / "wh", "readings")
    assert stored.columns.tolist() == ["customer_id", "date", "kwh"]
    assert stored["kwh"].tolist()[:1] == [1.5] and np.isnan(stored["kwh"].iloc[1])
    assert stored["kwh"].iloc[2] == 2.0
    result = report.tables["readings"]
    assert (result.read, result.accepted, result.quarantined, result.stored) == (6, 4, 2, 3)
    reasons = quarantine_of(tmp_path / "wh", "readings")["reason"].tolist()
    assert reasons == [
        "duplicate readings key (customer_id=C0001, timestamp=2024-01-05 00:15:00); the first row is kept",
        "negative kwh -1 in readings.kwh",
    ]
    assert "interval readings: 4 rows summed to 3 customer-days" in result.notes()


def test_ingest_one_table_into_existing_warehouse(tmp_path):
    ingest(write_raw(tmp_path / "raw1", base()), tmp_path / "wh")
    bills = "customer_id,read_date,kwh_billed\nC0001,2024-01-31,30\nC0404,2024-01-31,1\n"
    report = ingest(write_raw(tmp_path / "raw2", {"bills.csv": bills}), tmp_path / "wh", tables=["bills"])
    assert list(report.tables) == ["bills"]
    assert report.tables["bills"].quarantined == 1  # C0404 is not among the stored customers
    assert len(read_table(tmp_path / "wh", "readings")) == 2  # other tables left alone
    manifest = read_manifest(tmp_path / "wh")
    assert list(manifest["tables"]) == ["customers", "readings", "bills"]
    assert manifest["snapshot"]["rows"] == {"bills": 1, "customers": 2, "readings": 2}


def test_blank_spreadsheet_rows_are_skipped_and_rows_keep_their_numbers(tmp_path):
    workbook = xlsx_bytes(
        [
            ["customer_id", "date", "kwh", None],
            ["C0001", "2024-01-05", 1, None],
            [None, None, None, None],
            ["C0001", "2024-01-06", -2, None],
        ]
    )
    raw = write_raw(tmp_path / "raw", base(readings_DOT_csv=None, readings_DOT_xlsx=workbook))
    report = ingest(raw, tmp_path / "wh")
    assert (report.tables["readings"].read, report.tables["readings"].quarantined) == (2, 1)
    assert quarantine_of(tmp_path / "wh", "readings")["source_row"].tolist() == ["4"]
    assert "1 blank rows skipped" in report.tables["readings"].notes()


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_synthetic_data_set_ingests_whole_and_csv_equals_parquet(fmt, tmp_path):
    """The generator's tables pass the contract untouched, from Parquet and from CSV text alike."""
    synth = pytest.importorskip("gridaudit.synth")
    tables, truth = synth.generate_tables(customers=40, months=3, seed=7)
    synth.write_dataset(tmp_path / "raw", tables, truth, fmt=fmt)
    report = ingest(tmp_path / "raw", tmp_path / "wh")
    assert report.quarantined == 0 and report.unknown_files == []
    for name, frame in tables.items():
        stored = read_table(tmp_path / "wh", name)
        assert report.tables[name].read == len(frame) == len(stored)
        expected = frame.sort_values(list(TABLES[name].key), kind="stable").reset_index(drop=True)
        pd.testing.assert_frame_equal(stored[expected.columns], expected, check_dtype=False)


DATE_TEXTS = ["2024-01-05", "2024/1/5", "20240106", "45298", "2024-02-30", "soon", ""]
KWH_TEXTS = ["1.5", "0", "", "-2", "abc", "1,000", "7"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["C0001", "C0002", ""]),
            st.sampled_from(DATE_TEXTS),
            st.sampled_from(KWH_TEXTS),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_every_row_is_accepted_or_quarantined_and_accepted_rows_obey_the_contract(rows, tmp_path):
    text = "customer_id,date,kwh\n" + "".join(f'{c},{d},"{k}"\n' for c, d, k in rows)
    path = tmp_path / "readings.csv"
    path.write_text(text, encoding="utf-8")
    try:
        accepted, quarantine, notes = read_raw_table(path, "readings")
    except EmptyFileError:  # every row blank: nothing to count
        assert all((c, d, k) == ("", "", "") for c, d, k in rows)
        return
    assert len(accepted) + len(quarantine) == notes.rows == sum(r != ("", "", "") for r in rows)
    assert (accepted["kwh"].dropna() >= 0).all()
    assert accepted["date"].notna().all() and accepted["customer_id"].notna().all()
    assert not accepted.duplicated(["customer_id", "date"]).any()
    assert quarantine["reason"].str.len().gt(0).all()


def test_header_matching_ignores_case_and_keeps_a_second_header_as_extra(tmp_path):
    customers = "Customer_ID ,用电类别,台区编号,综合倍率,倍率\nC0001,居民,TA-1,40,1\nC0002,其他,TA-1,,\n"
    report = ingest(write_raw(tmp_path / "raw", base(customers_DOT_csv=customers)), tmp_path / "wh")
    stored = read_table(tmp_path / "wh", "customers")
    assert stored["meter_multiplier"].tolist() == [40.0, 1.0]  # 综合倍率 wins; empty -> default 1
    assert stored["extra_倍率"].tolist()[0] == "1"
    assert report.tables["customers"].header_mapping["Customer_ID "] == "customer_id"
    assert "second header for a column kept as extra_<name>: 倍率 (meter_multiplier)" in (
        report.tables["customers"].notes()
    )


def test_file_without_header_line_does_not_print_its_first_row(tmp_path):
    customers = "C0001,residential,TA-1,张三,13800000001\nC0002,commercial,TA-1,李四,13800000002\n"
    raw = write_raw(tmp_path / "raw", base(customers_DOT_csv=customers))
    with pytest.raises(MissingColumnError) as info:
        ingest(raw, tmp_path / "wh")
    message = str(info.value)
    assert "customers.csv (customers) has no column for customers.customer_id" in message
    assert "no header is recognised, 5 other(s) are not contract names" in message
    assert "张三" not in message and "13800000001" not in message
