"""STEG (Tunisia) billing-fraud challenge data -> gridaudit raw tables.

Mapping (see the adapter section of the report and ``shared/data/README.md``):

* client -> customers: ``customer_id`` = client_id; ``tariff_category`` from client_catg
  (11 -> residential, 12 -> commercial, 51 -> large_industrial; the data set does not document
  the codes: 11 holds 97% of clients as a residential class would, 51 is the smallest class with
  the highest consumption, so this is an informed guess; the raw code stays in ``client_catg``);
  ``area_id`` = "D<district>-R<region>"; ``connect_date`` = creation_date (dd/mm/yyyy).
* invoice -> bills: ``read_date`` = invoice_date; ``meter_id`` = "<counter_number>-<ELEC|GAZ>"
  (a client's electricity and gas meters are both kept; ``meter_type`` says which);
  start/end_reading = old/new_index; ``multiplier`` = counter_coefficient; kwh_tier_1..4 =
  consommation_level_1..4 and ``kwh_billed`` their sum; ``period_months`` = months_number;
  meter_status = counter_statue; reading_remark = reading_remarque; tariff_code = tarif_type;
  counter_code and counter_type kept as extra columns; ``meter_model`` = counter_code (the
  meter's model code: the bills family counts its changes).
* target -> inspections: one per labelled client on 2020-01-15 (after every invoice: labels
  carry no detection date), theft if target == 1 else clean, selection unknown. Unlabelled
  clients get none.

Rows that break the contract (duplicate keys, a zero coefficient, ...) are kept: ingest
quarantines them; :func:`gridaudit.adapters.contract_problems` counts them beforehand.
"""

from __future__ import annotations

import pandas as pd

from ..errors import InputError

TARIFF_BY_CLIENT_CATG = {11: "residential", 12: "commercial", 51: "large_industrial"}
INSPECTION_DATE = pd.Timestamp("2020-01-15")
METER_TYPES = {"ELEC": "electricity", "GAZ": "gas"}

CLIENT_COLUMNS = ("client_id", "client_catg", "region", "creation_date")
INVOICE_COLUMNS = (
    "client_id",
    "invoice_date",
    "tarif_type",
    "counter_number",
    "counter_statue",
    "counter_code",
    "reading_remarque",
    "counter_coefficient",
    "consommation_level_1",
    "consommation_level_2",
    "consommation_level_3",
    "consommation_level_4",
    "old_index",
    "new_index",
    "months_number",
    "counter_type",
)


class StegFormatError(InputError, ValueError):
    """The files given are not the STEG challenge's client/invoice layout."""


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise StegFormatError(
            f"the STEG {what} file lacks the columns {', '.join(missing)} "
            f"(it has {', '.join(map(str, frame.columns[:12]))}); is it the {what} file of the challenge?"
        )


def convert_customers(clients: pd.DataFrame) -> pd.DataFrame:
    # The challenge misspells district as "disrict"; accept both.
    district_col = "disrict" if "disrict" in clients.columns else "district"
    _require(clients, CLIENT_COLUMNS + (district_col,), "client")
    catg = pd.to_numeric(clients["client_catg"], errors="coerce")
    district = clients[district_col].astype(str)
    region = clients["region"].astype(str)
    return pd.DataFrame(
        {
            "customer_id": clients["client_id"].astype(str),
            "tariff_category": catg.map(TARIFF_BY_CLIENT_CATG).fillna("other").astype(str),
            "area_id": "D" + district + "-R" + region,
            "connect_date": pd.to_datetime(clients["creation_date"], format="%d/%m/%Y", errors="coerce"),
            "client_catg": catg.astype("Int64").astype(str),
            "district": district,
            "region": region,
        }
    ).reset_index(drop=True)


def convert_bills(invoices: pd.DataFrame) -> pd.DataFrame:
    _require(invoices, INVOICE_COLUMNS, "invoice")
    tiers = {f"kwh_tier_{i}": pd.to_numeric(invoices[f"consommation_level_{i}"]).astype(float) for i in range(1, 5)}
    billed = tiers["kwh_tier_1"] + tiers["kwh_tier_2"] + tiers["kwh_tier_3"] + tiers["kwh_tier_4"]
    counter_type = invoices["counter_type"].astype(str)
    return pd.DataFrame(
        {
            "customer_id": invoices["client_id"].astype(str),
            "read_date": pd.to_datetime(invoices["invoice_date"], errors="coerce"),
            "period_months": pd.to_numeric(invoices["months_number"]).astype("Int64"),
            "meter_id": invoices["counter_number"].astype(str) + "-" + counter_type,
            "start_reading": pd.to_numeric(invoices["old_index"]).astype(float),
            "end_reading": pd.to_numeric(invoices["new_index"]).astype(float),
            "multiplier": pd.to_numeric(invoices["counter_coefficient"]).astype(float),
            "kwh_billed": billed,
            **tiers,
            "tariff_code": invoices["tarif_type"].astype(str),
            "meter_status": invoices["counter_statue"].astype(str),
            "reading_remark": invoices["reading_remarque"].astype(str),
            "meter_type": counter_type.map(METER_TYPES).fillna("other"),
            "counter_type": counter_type,
            "counter_code": invoices["counter_code"].astype(str),
            "meter_model": invoices["counter_code"].astype(str),
        }
    ).reset_index(drop=True)


def convert_inspections(clients: pd.DataFrame) -> pd.DataFrame:
    """One inspection per labelled client; clients without a target get none."""
    if "target" not in clients.columns:
        return pd.DataFrame(columns=["inspection_id", "target_type", "target_id", "date", "result", "selection"])
    target = pd.to_numeric(clients["target"], errors="coerce")
    labelled = clients.loc[target.notna()]
    ids = labelled["client_id"].astype(str)
    return pd.DataFrame(
        {
            "inspection_id": "steg-" + ids,
            "target_type": "customer",
            "target_id": ids,
            "date": INSPECTION_DATE,
            "result": (target[target.notna()] == 1).map({True: "theft", False: "clean"}).astype(str),
            "selection": "unknown",
        }
    ).reset_index(drop=True)


def convert_steg(clients: pd.DataFrame, invoices: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The STEG client and invoice frames as gridaudit raw tables: customers, bills, inspections."""
    return {
        "customers": convert_customers(clients),
        "bills": convert_bills(invoices),
        "inspections": convert_inspections(clients),
    }
