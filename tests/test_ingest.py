"""Ingest: raw exports -> checked warehouse, quarantine with reasons, counts that add up."""

from __future__ import annotations

import datetime as dt
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
from gridaudit.ingest import (
    EmptyFileError,
    MissingColumnError,
    MissingTableError,
    ingest,
    read_raw_table,
)
from gridaudit.ingest.values import AmbiguousDates, to_datetime, to_month
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
# One file per malformed input, driven by a table: tests/test_malformed_inputs.py. A table split
# into part files is a folder, so its case stays here.
def test_duplicate_key_across_part_files_is_quarantined(tmp_path):
    files = base(
        customers_DOT_csv=None,
        customers__part1_DOT_csv=CUSTOMERS,
        customers__part2_DOT_csv="customer_id,tariff_category,area_id\nC0002,其他,TA-9\n",
    )
    report = ingest(write_raw(tmp_path / "raw", files), tmp_path / "wh")
    result = report.tables["customers"]
    assert (result.read, result.accepted, result.quarantined) == (3, 2, 1)
    quarantine = quarantine_of(tmp_path / "wh", "customers")
    assert quarantine["reason"].tolist() == [
        "duplicate customers key (customer_id=C0002); the first row is kept"
    ]
    assert quarantine["source_file"].tolist() == ["customers/part2.csv"]
    assert quarantine["source_row"].tolist() == ["2"]


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


@pytest.mark.parametrize(
    "text", ["2024-02-30", "2024-13-01", "2024-01-05 25:00", "31/02/2024", "yesterday", "123"]
)
def test_unreadable_dates_are_bad_not_missing(text):
    values, bad = to_datetime(pd.Series([text], dtype="str"), date_only=True)
    assert pd.isna(values.iloc[0]) and bad.iloc[0]


@pytest.mark.parametrize(
    ("texts", "expected", "order"),
    [
        (["13/01/2024", "05/01/2024 08:30"], ["2024-01-13", "2024-01-05"], "day/month/year"),
        (["01/13/2024", "5/1/2024"], ["2024-01-13", "2024-05-01"], "month/day/year"),
        (["13.01.2024", "2024-01-07"], ["2024-01-13", "2024-01-07"], "day/month/year"),
        (["01/01/2024"], ["2024-01-01"], "day/month/year"),  # both readings agree
    ],
)
def test_day_month_order_is_decided_by_the_column_and_noted(texts, expected, order, tmp_path):
    readings = "customer_id,date,kwh\n" + "".join(f"C0001,{t},1\n" for t in texts)
    report = ingest(write_raw(tmp_path / "raw", base(readings_DOT_csv=readings)), tmp_path / "wh")
    stored = read_table(tmp_path / "wh", "readings")
    assert stored["date"].tolist() == [pd.Timestamp(d) for d in sorted(expected)]
    assert f"date: dates read as {order}" in report.tables["readings"].notes()
    manifest = read_manifest(tmp_path / "wh")
    assert manifest["tables"]["readings"]["source_files"][0]["date_orders"] == {"date": order}


FORMATS = {  # how exports write a date -> strftime-like formatter
    "iso": lambda d: d.isoformat(),
    "slash": lambda d: f"{d.year}/{d.month}/{d.day}",
    "compact": lambda d: d.strftime("%Y%m%d"),
    "chinese": lambda d: f"{d.year}年{d.month}月{d.day}日",
    "excel serial": lambda d: str((d - dt.date(1899, 12, 30)).days),
    "iso with time": lambda d: d.isoformat() + " 23:59:59",
    "day first": lambda d: d.strftime("%d/%m/%Y"),
    "month first": lambda d: f"{d.month}/{d.day}/{d.year}",
}


@settings(max_examples=40, deadline=None)
@given(
    days=st.lists(st.dates(dt.date(1960, 1, 1), dt.date(2099, 12, 31)), min_size=1, max_size=12),
    form=st.sampled_from(sorted(FORMATS)),
)
def test_every_date_form_reads_back_the_same_day_or_is_refused_as_ambiguous(days, form):
    """A column written in one form gives back exactly its days; day/month forms whose order
    no date in the column reveals are refused, never guessed."""
    texts = pd.Series([FORMATS[form](d) for d in days], dtype="str")
    ambiguous = form in ("day first", "month first") and all(d.day <= 12 for d in days)
    ambiguous = ambiguous and any(d.day != d.month for d in days)
    if ambiguous:
        with pytest.raises(AmbiguousDates):
            to_datetime(texts, date_only=True)
        return
    values, bad = to_datetime(texts, date_only=True)
    assert not bad.any()
    assert values.tolist() == [pd.Timestamp(d) for d in days]


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
