"""Writes the Excel and Parquet cases of this folder (run once; the files are committed).

    .venv/bin/python tests/data/malformed/make_binary_cases.py

The text cases are plain files written by hand; these need a library to be written.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

HERE = Path(__file__).parent


def xlsx_bytes(*sheets: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for number, rows in enumerate(sheets):
        sheet = book.active if number == 0 else book.create_sheet(f"Sheet{number + 1}")
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def main() -> None:
    readings = pd.DataFrame(
        {
            "customer_id": ["C0001", "C0002", "C0002"],
            "date": pd.to_datetime(["2024-01-05", "2024-01-05", "2024-01-06"]),
            "kwh": [3.2, 5.0, -4.0],
        }
    )
    files = {
        # whole-table failures
        "customers__workbook_named_csv.csv": xlsx_bytes([["customer_id"], ["C0001"]]),
        "customers__parquet_named_csv.csv": parquet_bytes(pd.DataFrame({"customer_id": ["C0001"]})),
        "readings__header_only.xlsx": xlsx_bytes([["customer_id", "date", "kwh"]]),
        "readings__no_kwh_column.parquet": parquet_bytes(readings.drop(columns="kwh")),
        "customers__second_source.xlsx": xlsx_bytes([["customer_id"], ["C0001"]]),
        # rows quarantined
        "readings__negative_kwh.xlsx": xlsx_bytes(
            [["用户编号", "日期", "日电量"], ["C0001", "2024-01-05", 3.2], ["C0002", "2024-01-05", -2]]
        ),
        "readings__negative_kwh.parquet": parquet_bytes(readings),
        "readings__unknown_customer_second_sheet_ignored.xlsx": xlsx_bytes(
            [["customer_id", "date", "kwh"], ["C0001", 45296, 1.0], ["C0003", 45296, 2.0]],
            [["customer_id", "date", "kwh"], ["C0002", "2024-01-05", -99]],
        ),
        "customers__unknown_category.parquet": parquet_bytes(
            pd.DataFrame(
                {
                    "customer_id": ["C0001", "C0002"],
                    "tariff_category": ["residential", "street_lighting"],
                    "area_id": ["TA-1", "TA-1"],
                    "contract_capacity_kva": [8.0, np.nan],
                }
            )
        ),
    }
    for name, content in files.items():
        (HERE / name).write_bytes(content)


if __name__ == "__main__":
    main()
