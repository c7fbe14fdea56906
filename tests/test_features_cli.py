"""`gridaudit features` writes the frame of a month and summarises missing values per family."""

import pandas as pd
from feature_tables import fabricate_tables
from typer.testing import CliRunner

from gridaudit.cli import commands  # noqa: F401  (attaches the commands)
from gridaudit.cli.app import app
from gridaudit.io import write_table


def test_features_command_writes_parquet(tmp_path):
    warehouse = tmp_path / "wh"
    for name, frame in fabricate_tables(n_customers=12, seed=2).items():
        write_table(warehouse, name, frame)
    out = tmp_path / "features.parquet"
    result = CliRunner().invoke(
        app, ["features", "--warehouse", str(warehouse), "--as-of", "2024-03", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "12 customers x" in result.output
    assert "curve_history" in result.output
    frame = pd.read_parquet(out)
    assert frame["customer_id"].is_unique and len(frame) == 12
    assert "kwh_drop_ratio_3m_vs_12m" in frame.columns


def test_features_command_rejects_a_bad_month(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "features",
            "--warehouse",
            str(tmp_path),
            "--as-of",
            "2024-13",
            "--out",
            str(tmp_path / "f.parquet"),
        ],
    )
    assert result.exit_code != 0
