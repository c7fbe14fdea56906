"""benchmarks/real_data.py: the STEG unlabelled clients' list carries reasons with billing facts."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridaudit.config import Config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def real_data():
    spec = importlib.util.spec_from_file_location("real_data", ROOT / "benchmarks" / "real_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _steg_files(folder: Path, n_dev: int = 60, n_unlabelled: int = 10) -> None:
    """STEG-layout files: every fourth dev client is a fraud whose electricity bills fall to 0 kWh."""
    rng = np.random.default_rng(3)
    for part, n, prefix in (("dev", n_dev, "train"), ("unlabelled", n_unlabelled, "test")):
        ids = [f"{prefix}_Client_{i}" for i in range(n)]
        fraud = np.arange(n) % 4 == 0
        clients = pd.DataFrame(
            {
                "disrict": 60,
                "client_id": ids,
                "client_catg": 11,
                "region": 101,
                "creation_date": "01/01/2010",
            }
        )
        if part == "dev":
            clients["target"] = fraud.astype(int)
        rows = []
        for i, client in enumerate(ids):
            index = 0
            for k in range(12):
                kwh = 0 if fraud[i] and k >= 8 else int(rng.integers(200, 400))
                rows.append(
                    dict(
                        client_id=client,
                        invoice_date=f"{2017 + k // 4}-{1 + 3 * (k % 4):02d}-15",
                        tarif_type=11,
                        counter_number=1000 + i,
                        counter_statue="0",
                        counter_code=203,
                        reading_remarque=6,
                        counter_coefficient=1,
                        consommation_level_1=kwh,
                        consommation_level_2=0,
                        consommation_level_3=0,
                        consommation_level_4=0,
                        old_index=index,
                        new_index=index + max(kwh, 250),  # the index keeps advancing
                        months_number=3,
                        counter_type="ELEC",
                    )
                )
                index += max(kwh, 250)
        clients.to_parquet(folder / f"client_{part}.parquet")
        pd.DataFrame(rows).to_parquet(folder / f"invoice_{part}.parquet")


def test_unlabelled_list_ranks_unlabelled_clients_with_three_reasons(real_data, tmp_path):
    _steg_files(tmp_path)
    listing = real_data.steg_unlabelled_list(tmp_path, 3, Config())
    assert len(listing) == 3
    assert all(customer.startswith("test_Client_") for customer in listing.index)  # only the unlabelled
    assert {"risk", "reason_1", "reason_2", "reason_3", "reason_codes"} <= set(listing.columns)
    assert listing["risk"].is_monotonic_decreasing
    assert (listing["reason_1"] != "").all()
