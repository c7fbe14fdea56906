"""Names, addresses and phones never leave the warehouse's customers table unmasked.

Recognisable values are planted in a small customers export (GBK, Chinese headers, as marketing
systems write it), including a row that ingest quarantines. The whole path runs: ingest ->
train (MLflow in a SQLite store under tmp) -> score_month -> report re-rendered in English.
Then every file under the folder is read (text as bytes in UTF-8, GBK and UTF-16; Excel and
other zip files member by member; Parquet decoded) together with every log record, and a planted
value may appear only in the warehouse's customers table. The quarantine holds masked values.

The same trained store then serves a second check: a model file altered in the MLflow artifact
store is refused by ``gridaudit score`` with exit code 2 and one sentence.
"""

from __future__ import annotations

import io
import logging
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from feature_tables import fabricate_tables

from gridaudit.config import Config
from gridaudit.errors import EXIT_BAD_INPUT
from gridaudit.ingest import ingest
from gridaudit.io import QUARANTINE_DIR, read_tables, table_path
from gridaudit.privacy import mask_value
from gridaudit.scoring import score_month, write_report
from gridaudit.training import train_model

pytestmark = pytest.mark.slow

PLANTED = {  # customer -> (name, address, phone)
    "C00003": ("测试户名甲", "幸福大街123号测试小区", "13912345678"),
    "C00007": ("Zhangsan Plantedname", "88 Plantedaddress Road", "+86-139-8765-4321"),
    "C_BAD": ("测试户名乙", "和平路9号测试楼", "13800138999"),  # quarantined: unknown tariff category
}
SECRETS = [value for values in PLANTED.values() for value in values]
CONFIG = Config(
    num_boost_round=20,
    min_child_samples=5,
    validation_months=2,
    capacity=100,
    cooldown_months=0,
    exploration_share=0.0,
    language="zh",
    n_buckets=4,
)
MONTH = "2024-01"


def write_raw(raw: Path) -> None:
    """Fabricated tables as exports: customers in GBK with Chinese headers, the rest UTF-8 CSV."""
    tables = fabricate_tables(n_customers=40, start="2023-01-01", n_days=365, seed=2)
    customers = tables["customers"].drop(columns="name")
    ids = customers["customer_id"]
    customers["name"] = "户" + ids.str[-2:]
    customers["address"] = "某路" + ids.str[-2:] + "号"
    customers["phone"] = "1370000" + ids.str[-4:]
    bad = customers.iloc[[0]].assign(customer_id="C_BAD", tariff_category="商住")
    customers = pd.concat([customers, bad], ignore_index=True)
    for customer_id, (name, address, phone) in PLANTED.items():
        row = customers["customer_id"] == customer_id
        customers.loc[row, ["name", "address", "phone"]] = [name, address, phone]
    headers = {
        "customer_id": "用户编号",
        "tariff_category": "用电类别",
        "area_id": "台区编号",
        "name": "户名",
    }
    headers |= {"address": "用电地址", "phone": "联系电话"}
    raw.mkdir(parents=True)
    customers.rename(columns=headers).to_csv(raw / "customers.csv", index=False, encoding="gbk")
    for name, frame in tables.items():
        if name != "customers":
            frame.to_csv(raw / f"{name}.csv", index=False, encoding="utf-8")


class Collect(logging.Handler):
    """Every log record of the run, formatted with its arguments (module-scoped caplog)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.levelname} {record.getMessage()}")
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    root = tmp_path_factory.mktemp("privacy")
    write_raw(root / "raw")
    handler = Collect()
    loggers = [logging.getLogger(), logging.getLogger("mlflow")]  # mlflow's does not propagate
    old_levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    store = f"sqlite:///{(root / 'mlflow.db').as_posix()}"
    try:
        report = ingest(root / "raw", root / "wh", config=CONFIG)
        tables = read_tables(root / "wh")
        trained = train_model(
            tables, CONFIG, tracking_uri=store, export_dir=root / "models" / "customer_risk"
        )
        info = {"name": trained.model_name, "version": trained.version, "run_id": trained.run_id}
        result = score_month(tables, MONTH, trained.model, info, CONFIG, out_dir=root / "lists")
        write_report(result.folder, "en", target=root / "lists" / "report_en.html")
    finally:
        for logger, level in zip(loggers, old_levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
    return {"root": root, "store": store, "report": report, "result": result, "log": "\n".join(handler.lines)}


def readable_texts(path: Path) -> list[str]:
    """What a person or a program could read out of a file: its bytes as text in the encodings
    we write, each member of a zip (xlsx), and the decoded values of a Parquet file."""
    data = path.read_bytes()
    texts = [data.decode(enc, errors="ignore") for enc in ("utf-8", "gbk", "utf-16-le", "utf-16-be")]
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                texts.append(archive.read(member).decode("utf-8", errors="ignore"))
    if data[:4] == b"PAR1":
        table = pq.read_table(io.BytesIO(data))
        texts.append(table.to_pandas().to_csv())
        texts.append(str(table.schema.metadata))
    return texts


def test_planted_personal_values_appear_only_in_the_warehouse_customers_table(pipeline):
    root = pipeline["root"]
    allowed = table_path(root / "wh", "customers")
    scanned, found, in_customers = 0, [], set()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.is_relative_to(root / "raw"):
            continue  # the input itself
        texts = readable_texts(path)
        scanned += 1
        for secret in SECRETS:
            if any(secret in text for text in texts):
                if path.is_relative_to(allowed):
                    in_customers.add(secret)
                else:
                    found.append((secret, path.relative_to(root).as_posix()))
    assert found == []
    # the accepted customers keep their data in the warehouse; the quarantined one does not
    assert in_customers == set(SECRETS) - set(PLANTED["C_BAD"])
    assert scanned > 20  # warehouse parts, quarantine, manifest, mlflow.db, artifacts, list files
    assert (root / "mlflow.db").exists() and any((root / "mlruns").rglob("model.txt"))
    assert "read customers.csv: 41 rows" in pipeline["log"]  # the run's logs were captured
    assert "version 1 is now the champion" in pipeline["log"]
    for secret in SECRETS:
        assert secret not in pipeline["log"]


def test_the_quarantine_holds_masked_values_only(pipeline):
    path = pipeline["root"] / "wh" / QUARANTINE_DIR / "customers.csv"
    quarantine = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    assert quarantine["customer_id"].tolist() == ["C_BAD"]
    name, address, phone = PLANTED["C_BAD"]
    row = quarantine.iloc[0]
    assert (row["name"], row["address"], row["phone"]) == (
        mask_value(name),
        mask_value(address),
        "1********99",
    )
    assert row["reason"].startswith("unknown tariff category '商住'")


def test_every_customer_was_listed_so_reasons_and_curves_were_rendered(pipeline):
    """The planted customers reach the list, its curves and the report (which must then hold
    their ids but not their personal values)."""
    result = pipeline["result"]
    assert {"C00003", "C00007"} <= set(result.listing["customer_id"])
    html = result.report_path.read_text(encoding="utf-8")
    assert "C00003" in html


def test_tampered_champion_is_refused_by_the_score_command(pipeline, monkeypatch, capsys):
    """gridaudit.cli.main (the installed entry point) turns ModelIntegrityError into exit 2."""
    from gridaudit.cli import main

    root = pipeline["root"]
    files = sorted((root / "mlruns").rglob("risk_model/model.txt"))
    assert files
    originals = {path: path.read_bytes() for path in files}
    try:
        for path in files:
            path.write_bytes(path.read_bytes().replace(b"leaf_value=", b"leaf_value=9", 1))
        argv = ["gridaudit", "score", "--warehouse", str(root / "wh"), "--month", MONTH]
        argv += ["--tracking-uri", pipeline["store"], "--out", str(root / "lists_tampered")]
        monkeypatch.setattr(sys, "argv", argv)
        monkeypatch.setenv("COLUMNS", "400")
        with pytest.raises(SystemExit) as info:
            main()
    finally:
        for path, data in originals.items():
            path.write_bytes(data)
    assert info.value.code == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err
    assert "was changed after it was saved" in lines[0] and "refusing to score with it" in lines[0]
    assert not (root / "lists_tampered").exists()


def test_scores_are_finite(pipeline):
    assert np.isfinite(pipeline["result"].listing["score"]).all()


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("张三", "张*"),
        ("王小明", "王**"),
        ("张三重复", "张***"),  # a four-character name: only its first character shows
        ("某某商店", "某***"),
        ("1234567", "1******"),
        ("13800000001", "1********01"),  # a phone keeps its first digit and last two
        ("北京市朝阳区建国路12号", "北*********2号"),
        ("x", "*"),
        (None, None),
    ],
)
def test_mask_value_shows_little_of_a_value(value, masked):
    assert mask_value(value) == masked
