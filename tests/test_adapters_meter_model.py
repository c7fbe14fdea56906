"""STEG adapter: the meter's model code (counter_code) reaches the bills family as meter_model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridaudit.adapters import convert_steg
from gridaudit.features import CustomerFeatureBuilder
from gridaudit.features.bills import bills_features


def steg_sample() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two clients: c1 with an electricity meter (model 203, then 207) and a gas meter (model 5)."""
    clients = pd.DataFrame(
        {
            "disrict": [60, 62],
            "client_id": ["c1", "c2"],
            "client_catg": [11, 11],
            "region": [101, 301],
            "creation_date": ["31/12/1994", "29/05/2002"],
            "target": [0, 1],
        }
    )
    invoices = pd.DataFrame(
        {
            "client_id": ["c1", "c1", "c1", "c2"],
            "invoice_date": ["2014-03-24", "2014-07-24", "2014-07-24", "2015-01-02"],
            "tarif_type": [11, 11, 40, 11],
            "counter_number": [1335667, 1335667, 555, 42],
            "counter_statue": ["0", "0", "0", "1"],
            "counter_code": [203, 207, 5, 413],
            "reading_remarque": [8, 6, 6, 9],
            "counter_coefficient": [1, 1, 1, 1],
            "consommation_level_1": [82, 400, 10, 0],
            "consommation_level_2": [0, 120, 0, 0],
            "consommation_level_3": [0, 0, 0, 0],
            "consommation_level_4": [0, 0, 0, 0],
            "old_index": [14302, 14384, 100, 900],
            "new_index": [14384, 14904, 110, 950],
            "months_number": [4, 4, 4, 8],
            "counter_type": ["ELEC", "ELEC", "GAZ", "ELEC"],
        }
    )
    return clients, invoices


def test_counter_code_becomes_meter_model():
    bills = convert_steg(*steg_sample())["bills"]
    assert bills["meter_model"].tolist() == ["203", "207", "5", "413"]
    assert bills["counter_code"].tolist() == bills["meter_model"].tolist()  # the raw column stays


def test_meter_model_codes_are_counted_per_client():
    tables = convert_steg(*steg_sample())
    features = bills_features(CustomerFeatureBuilder(tables).context("2019-12"))
    # c1: 203 then 207 on its electricity meter, 5 on its gas meter
    assert features.at["c1", "bill_meter_model_count"] == 3
    assert features.at["c1", "bill_meter_model_changes"] == 1
    assert features.at["c2", "bill_meter_model_count"] == 1
    assert np.isnan(features.at["c2", "bill_meter_model_changes"])  # one bill: nothing to compare
