"""The monthly scoring job end to end on tiny tables: files, explain-only-the-listed, the
contribution sum, byte-identical reruns, privacy, the report, atomic replacement and the CLI."""

import re
import sys
import types
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scoring_fixtures import (
    MODEL_INFO,
    PLANTED_ADDRESS,
    PLANTED_NAME,
    PLANTED_PHONE,
    fit_tiny_model,
    register_test_specs,
    tiny_features,
    tiny_tables,
)
from typer.testing import CliRunner

from gridaudit.config import Config
from gridaudit.scoring import LIST_COLUMNS, score_month
from gridaudit.scoring import job as job_module

CONFIG = Config(capacity=10, exploration_share=0.2, seed=7)
MONTH = "2026-01"


@pytest.fixture(scope="module")
def setup():
    with pytest.MonkeyPatch.context() as mp:
        register_test_specs(mp)
        tables = tiny_tables()
        features = tiny_features(tables["customers"])
        model = fit_tiny_model(features)
        yield tables, features, model


@pytest.fixture(scope="module")
def scored(setup, tmp_path_factory):
    tables, features, model = setup
    out = tmp_path_factory.mktemp("lists")
    return score_month(tables, MONTH, model, MODEL_INFO, CONFIG, out_dir=out, features=features)


def test_writes_every_file_with_the_list_columns(scored):
    folder = scored.folder
    assert folder.name == MONTH
    for name in job_module.LIST_FILES:
        assert (folder / name).exists(), name
    listing = pd.read_parquet(folder / "list.parquet")
    assert listing.columns.tolist() == LIST_COLUMNS
    assert len(listing) == 10
    assert listing["selection"].value_counts().to_dict() == {"model": 8, "exploration": 2}
    assert listing["rank"].tolist() == list(range(1, 11))
    assert (listing["month"] == MONTH).all()
    assert (listing["target_id"] == listing["customer_id"]).all()
    assert (listing["model_version"] == "3").all()
    assert scored.run["as_of"] == "2025-12"
    assert scored.run["model"]["run_id"] == "abc123"
    assert scored.run["counts"]["customers_scored"] == 40
    assert scored.report_path == folder / "report.html"
    assert scored.list_frame is scored.listing


def test_cooldown_customer_is_not_listed_unless_top_scored(setup, scored):
    tables, features, model = setup
    scores = pd.Series(model.score(features), index=features.index)
    # C001 was inspected on 2025-11-15: inside the 3-month cool-down as of 2025-12
    if scores.idxmax() != "C001":
        assert "C001" not in scored.listing["customer_id"].tolist()


def test_expected_recovery_follows_the_formula(setup, scored):
    tables, _, _ = setup
    readings = tables["readings"]
    row = scored.listing.iloc[0]
    mean_kwh = readings.loc[readings["customer_id"] == row["customer_id"], "kwh"].mean()
    expected = (
        row["score"]
        * mean_kwh
        * 30
        * CONFIG.recovery_months
        * CONFIG.tariff_yuan_per_kwh
        * CONFIG.assumed_lost_share
    )
    assert row["expected_recovery"] == pytest.approx(expected, abs=0.02)


def test_explains_only_the_listed_rows_and_contributions_add_up(setup, tmp_path):
    tables, features, model = setup
    seen = []
    original = model.contributions

    class Spy:
        def __getattr__(self, name):
            return getattr(model, name)

        def contributions(self, X):
            seen.append(len(X))
            return original(X)

    result = score_month(tables, MONTH, Spy(), MODEL_INFO, CONFIG, out_dir=tmp_path, features=features)
    assert seen == [10]
    long = pd.read_parquet(result.folder / "contributions.parquet")
    sums = long.groupby("customer_id")["contribution"].sum()
    ids = result.listing["customer_id"].tolist()
    raw = pd.Series(model.raw_score(features.loc[ids]), index=ids)
    np.testing.assert_allclose(sums.reindex(ids).to_numpy(), raw.to_numpy(), rtol=0, atol=1e-6)


def test_same_inputs_give_byte_identical_files(setup, scored, tmp_path):
    tables, features, model = setup
    again = score_month(tables, MONTH, model, MODEL_INFO, CONFIG, out_dir=tmp_path, features=features)
    for name in job_module.LIST_FILES:  # the XLSX too: its save-time stamps are fixed
        assert (again.folder / name).read_bytes() == (scored.folder / name).read_bytes(), name


def test_csv_has_a_bom_and_xlsx_has_chinese_titles_frozen_and_filtered(scored):
    assert (scored.folder / "list.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    from openpyxl import load_workbook

    ws = load_workbook(scored.folder / "list.xlsx").active
    titles = [c.value for c in ws[1]]
    for title in (
        "排名",
        "用户编号",
        "台区编号",
        "风险评分",
        "风险等级",
        "预计追补金额(元)",
        "选取方式",
        "原因1",
        "原因2",
        "原因3",
    ):
        assert title in titles
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref.startswith("A1:")
    assert ws.max_row == 11
    with zipfile.ZipFile(scored.folder / "list.xlsx") as archive:  # no save-time stamps
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]*)<", core) == ["2000-01-01T00:00:00Z"] * 2


def _texts_of(path: Path) -> list[str]:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as archive:
            return [archive.read(n).decode("utf-8", "replace") for n in archive.namelist()]
    return [path.read_bytes().decode("utf-8", "replace")]


def test_no_personal_data_in_any_output_file(scored):
    files = [p for p in scored.folder.iterdir() if p.is_file()]
    assert len(files) == len(job_module.LIST_FILES)
    for path in files:
        for text in _texts_of(path):
            for planted in (PLANTED_NAME, PLANTED_PHONE, PLANTED_ADDRESS):
                assert planted not in text, f"{planted} found in {path.name}"


def test_report_is_self_contained_with_one_chart_per_target(scored):
    text = (scored.folder / "report.html").read_text(encoding="utf-8")
    n = len(scored.listing)
    assert text.count('<svg class="chart curve"') == n
    assert text.count('<svg class="chart contrib"') == n
    assert '<html lang="zh-CN">' in text
    assert '<meta charset="utf-8">' in text
    assert text.count("<script") == 1  # only the inline chart check, nothing loaded
    assert not re.search(r"<script[^>]*\bsrc\s*=", text)
    assert not re.search(r"""(src|href)\s*=\s*["']?https?://""", text)
    assert "http://" not in text and "https://" not in text
    for reason in scored.listing["reason_1"]:
        assert reason.replace("%", "") in text.replace("%", "")


def test_english_list_and_report(setup, tmp_path):
    tables, features, model = setup
    result = score_month(
        tables, MONTH, model, MODEL_INFO, CONFIG, out_dir=tmp_path, language="en", features=features
    )
    text = (result.folder / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in text
    assert "Inspection list report" in text
    assert any(r.startswith("consumption fell") for r in result.listing["reason_1"])


def test_failed_run_leaves_the_previous_list_intact(setup, scored, tmp_path, monkeypatch):
    tables, features, model = setup
    first = score_month(tables, MONTH, model, MODEL_INFO, CONFIG, out_dir=tmp_path, features=features)
    before = (first.folder / "list.parquet").read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("killed while writing the report")

    monkeypatch.setattr(job_module, "write_report", broken)
    with pytest.raises(RuntimeError, match="killed"):
        score_month(
            tables, MONTH, model, MODEL_INFO, CONFIG.replace(capacity=3), out_dir=tmp_path, features=features
        )
    assert (first.folder / "list.parquet").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [MONTH]  # no half-built folder left


def test_report_command_rerenders_the_same_report(scored, tmp_path):
    import shutil

    from gridaudit.cli import commands  # noqa: F401
    from gridaudit.cli.app import app

    folder = tmp_path / MONTH
    shutil.copytree(scored.folder, folder)
    original = (folder / "report.html").read_bytes()
    (folder / "report.html").unlink()
    result = CliRunner().invoke(app, ["report", str(folder)])
    assert result.exit_code == 0, result.output
    assert (folder / "report.html").read_bytes() == original
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code != 0


def test_score_command_prints_the_preview_without_personal_data(setup, tmp_path, monkeypatch):
    from gridaudit.cli import commands  # noqa: F401
    from gridaudit.cli.app import app
    from gridaudit.features import CustomerFeatureBuilder
    from gridaudit.io import write_table

    tables, features, model = setup
    warehouse = tmp_path / "wh"
    for name, frame in tables.items():
        write_table(warehouse, name, frame, n_buckets=2)
    fake = types.ModuleType("gridaudit.tracking")
    fake.load_champion = lambda name="customer_risk", tracking_uri=None: (model, dict(MODEL_INFO))
    monkeypatch.setitem(sys.modules, "gridaudit.tracking", fake)
    monkeypatch.setattr(CustomerFeatureBuilder, "build", lambda self, as_of: features)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app,
        [
            "score",
            "--warehouse",
            str(warehouse),
            "--month",
            MONTH,
            "--capacity",
            "5",
            "--out",
            str(tmp_path / "lists"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output
    assert PLANTED_NAME not in result.output and PLANTED_PHONE not in result.output
    listing = pd.read_parquet(tmp_path / "lists" / MONTH / "list.parquet")
    assert len(listing) == 5


@pytest.mark.slow
def test_with_the_real_feature_builder(tmp_path):
    """score_month builds the features itself (as of the month before) from the warehouse tables."""
    from gridaudit.features import CustomerFeatureBuilder
    from gridaudit.model import RiskModel

    tables = tiny_tables(n_customers=120)
    features = CustomerFeatureBuilder(tables, Config()).build("2025-12")
    y = (np.random.default_rng(0).random(len(features)) < 0.3).astype(int)
    model = RiskModel(
        params={"min_child_samples": 5, "num_threads": 1}, num_boost_round=20, early_stopping_rounds=None
    ).fit(features, y)
    result = score_month(
        tables, MONTH, model, MODEL_INFO, Config(capacity=6), out_dir=tmp_path, language="en"
    )
    assert len(result.listing) == 6
    codes = {c for joined in result.listing["reason_codes"] for c in joined.split(";") if c}
    assert codes <= set(model.feature_names_)
    long = pd.read_parquet(result.folder / "contributions.parquet")
    ids = result.listing["customer_id"].tolist()
    sums = long.groupby("customer_id")["contribution"].sum().reindex(ids)
    np.testing.assert_allclose(sums.to_numpy(), model.raw_score(features.loc[ids]), atol=1e-6)


def test_an_empty_list_still_writes_its_files(setup, tmp_path):
    tables, features, model = setup
    result = score_month(
        tables, MONTH, model, MODEL_INFO, CONFIG, capacity=0, out_dir=tmp_path, features=features
    )
    assert len(result.listing) == 0
    assert pd.read_parquet(result.folder / "list.parquet").columns.tolist() == LIST_COLUMNS
    assert "<html" in (result.folder / "report.html").read_text(encoding="utf-8")
