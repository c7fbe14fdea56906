"""The inspection list as a frame, and its files: Parquet, CSV (UTF-8 with BOM) and XLSX.

Column order and names follow ARCHITECTURE.md "The inspection list". Parquet and CSV are written
so that the same inputs give byte-identical files: fixed column order and dtypes, rounded floats,
no pandas metadata or timestamps in the Parquet schema, one fixed row-group size. The XLSX is for
people (Chinese titles when the language is zh, frozen header, filters); its save-time stamps are
fixed so that it, too, is the same file for the same list.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..config import Config
from ..io import atomic_path, write_csv

LIST_COLUMNS = [
    "month",
    "rank",
    "target_type",
    "target_id",
    "customer_id",
    "area_id",
    "score",
    "risk_tier",
    "expected_recovery",
    "selection",
    "inclusion_probability",
    "reason_1",
    "reason_2",
    "reason_3",
    "reason_codes",
    "model_name",
    "model_version",
]

TITLES_ZH = {
    "month": "月份",
    "rank": "排名",
    "target_type": "稽查对象类型",
    "target_id": "稽查对象编号",
    "customer_id": "用户编号",
    "area_id": "台区编号",
    "score": "风险评分",
    "risk_tier": "风险等级",
    "expected_recovery": "预计追补金额(元)",
    "selection": "选取方式",
    "inclusion_probability": "入选概率",
    "reason_1": "原因1",
    "reason_2": "原因2",
    "reason_3": "原因3",
    "reason_codes": "原因代码",
    "model_name": "模型名称",
    "model_version": "模型版本",
}
VALUES_ZH = {
    "risk_tier": {"high": "高", "medium": "中", "low": "低"},
    "selection": {"model": "模型", "exploration": "探索"},
    "target_type": {"customer": "用户", "work_order": "工单"},
}

PARQUET_ROW_GROUP = 65_536
_ROUND = {"score": 6, "inclusion_probability": 6, "expected_recovery": 2}


def risk_tier(score: pd.Series, thresholds: tuple[float, float]) -> pd.Series:
    """high when score >= thresholds[0], medium when >= thresholds[1], else low."""
    high, medium = thresholds
    tier = np.where(score >= high, "high", np.where(score >= medium, "medium", "low"))
    return pd.Series(tier, index=score.index, dtype="str")


def expected_recovery(score: pd.Series, mean_daily_kwh: pd.Series, config: Config) -> pd.Series:
    """Expected money recovered by inspecting (yuan), a deliberately simple estimate:

    score x mean daily kWh x 30 x recovery_months x tariff_yuan_per_kwh x assumed_lost_share,

    i.e. the chance of a finding times the bill for the share of consumption assumed unbilled over
    the months a finding typically recovers. Unknown consumption gives an unknown (NaN) amount.
    """
    monthly_kwh = mean_daily_kwh.astype(float) * 30.0
    amount = (
        score.astype(float)
        * monthly_kwh
        * config.recovery_months
        * config.tariff_yuan_per_kwh
        * config.assumed_lost_share
    )
    return amount


def list_frame(
    selected: pd.DataFrame,
    reasons: pd.DataFrame,
    month: str,
    model_info: dict,
    config: Config,
) -> pd.DataFrame:
    """Assemble the list in its published column order and dtypes.

    ``selected`` (from select_targets) needs customer_id, area_id, score, rank, selection,
    inclusion_probability and mean_daily_kwh; ``reasons`` is indexed by customer_id.
    """
    sel = selected.reset_index(drop=True)
    ids = sel["customer_id"].astype(str)
    why = reasons.reindex(ids.to_numpy())
    frame = pd.DataFrame(
        {
            "month": pd.Series([month] * len(sel), dtype="str"),
            "rank": sel["rank"].astype("int64"),
            "target_type": pd.Series(["customer"] * len(sel), dtype="str"),
            "target_id": ids,
            "customer_id": ids,
            "area_id": sel["area_id"].astype(str),
            "score": sel["score"].astype(float),
            "risk_tier": risk_tier(sel["score"].astype(float), config.tier_thresholds),
            "expected_recovery": expected_recovery(sel["score"], sel["mean_daily_kwh"], config),
            "selection": sel["selection"].astype(str),
            "inclusion_probability": sel["inclusion_probability"].astype(float),
        }
    )
    for col in ("reason_1", "reason_2", "reason_3", "reason_codes"):
        frame[col] = why[col].fillna("").to_numpy() if col in why.columns else ""
    frame["model_name"] = str(model_info.get("name", ""))
    frame["model_version"] = str(model_info.get("version", ""))
    return normalise(frame)


def order_list_frame(
    picked: pd.DataFrame, reasons: pd.DataFrame, month: str, model_info: dict, config: Config
) -> pd.DataFrame:
    """Work-order rows of the list: target_id is the order, customer_id the order's customer.

    Expected recovery is left empty: what an order's error costs is not known from the order.
    """
    n = len(picked)
    if n == 0:
        return normalise(pd.DataFrame(columns=LIST_COLUMNS))
    ids = picked["order_id"].astype(str)
    why = reasons.reindex(ids.to_numpy())
    frame = pd.DataFrame(
        {
            "month": pd.Series([month] * n, dtype="str"),
            "rank": picked["rank"].astype("int64"),
            "target_type": pd.Series(["work_order"] * n, dtype="str"),
            "target_id": ids,
            "customer_id": picked["customer_id"].astype(str),
            "area_id": picked["area_id"].astype(str),
            "score": picked["score"].astype(float),
            "risk_tier": risk_tier(picked["score"].astype(float), config.tier_thresholds),
            "expected_recovery": np.nan,
            "selection": "model",
            "inclusion_probability": 1.0,
        }
    )
    for col in ("reason_1", "reason_2", "reason_3", "reason_codes"):
        frame[col] = why[col].fillna("").to_numpy() if col in why.columns else ""
    frame["model_name"] = str(model_info.get("name", ""))
    frame["model_version"] = str(model_info.get("version", ""))
    return normalise(frame)


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Fixed column order, dtypes and rounding (what makes rewritten files byte-identical)."""
    out = frame[LIST_COLUMNS].copy()
    for col in LIST_COLUMNS:
        if col == "rank":
            out[col] = out[col].astype("int64")
        elif col in _ROUND:
            out[col] = out[col].astype("float64").round(_ROUND[col])
        else:
            out[col] = out[col].fillna("").astype(str).astype("str")
    return out.reset_index(drop=True)


# ------------------------------------------------------------------ writers
def write_parquet_stable(target: str | Path, frame: pd.DataFrame) -> Path:
    """Parquet without pandas metadata or timestamps, fixed row groups: same frame, same bytes."""
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    table = table.replace_schema_metadata(None)
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp, row_group_size=PARQUET_ROW_GROUP, compression="zstd")
    return Path(target)


def write_list_csv(target: str | Path, frame: pd.DataFrame) -> Path:
    """CSV with the canonical English headers, UTF-8 with BOM so Excel shows the Chinese reasons."""
    return write_csv(target, frame, bom=True)


def xlsx_frame(frame: pd.DataFrame, language: str = "zh") -> pd.DataFrame:
    """The list as people read it: Chinese titles and values for zh, canonical for en."""
    if language != "zh":
        return frame.copy()
    out = frame.copy()
    for col, mapping in VALUES_ZH.items():
        out[col] = out[col].map(lambda v, m=mapping: m.get(v, v))
    return out.rename(columns=TITLES_ZH)


def write_list_xlsx(target: str | Path, frame: pd.DataFrame, language: str = "zh") -> Path:
    """XLSX with a frozen, filterable header row and readable column widths."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    shown = xlsx_frame(frame, language)
    wb = Workbook()
    ws = wb.active
    ws.title = "稽查清单" if language == "zh" else "inspection list"
    ws.append([str(c) for c in shown.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in shown.itertuples(index=False, name=None):
        ws.append([None if (isinstance(v, float) and np.isnan(v)) else v for v in row])
    ws.freeze_panes = "A2"
    last = get_column_letter(shown.shape[1])
    ws.auto_filter.ref = f"A1:{last}{len(shown) + 1}"
    for i, col in enumerate(shown.columns, start=1):
        longest = max([len(str(col))] + [len(str(v)) for v in shown[col].head(200)])
        ws.column_dimensions[get_column_letter(i)].width = min(max(10, longest * 1.6), 60)
    wb.properties.creator = "gridaudit"
    with atomic_path(target) as tmp:
        wb.save(tmp)
        _strip_xlsx_times(tmp)
    return Path(target)


_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_XLSX_STAMP = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _strip_xlsx_times(path: Path) -> None:
    """Make the workbook reproducible: openpyxl stamps the save time into docProps/core.xml and
    into every zip entry; fix both, so the same list gives the same bytes."""
    with zipfile.ZipFile(path) as archive:
        members = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            if name == "docProps/core.xml":
                data = _XLSX_STAMP.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            archive.writestr(
                zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME), data, compress_type=zipfile.ZIP_DEFLATED
            )
