"""Reasons: value formatting, top-3 ordering, peer medians, languages, flags only when set,
sign-dependent wording, and shared case 03 (contributions of a 300-level category feature add
up, and its reason names the category)."""

import numpy as np
import pandas as pd
import pytest
from scoring_fixtures import register_test_specs

from gridaudit.features import FeatureSpec, registry
from gridaudit.model import RiskModel
from gridaudit.scoring.reasons import (
    format_value,
    peer_medians,
    reason_features,
    render_reason,
    sign_form,
    top_reasons,
)

FLAG_SPEC = FeatureSpec(
    name="t_self_approved",
    family="test",
    meaning_en="approved by the handler",
    meaning_zh="自批",
    unit="flag",
    risky="high",
    reason_en="approved by the same person who handled it",
    reason_zh="审批人与处理人为同一人",
)
SIGNED_SPEC = FeatureSpec(
    name="t_signed_drop",
    family="test",
    meaning_en="drop vs own median",
    meaning_zh="较自身中位数下降",
    unit="ratio",
    risky="high",
    reason_en="fell {value} below its median (peers: {peer})|rose {value} above its median (peers: {peer})",
    reason_zh="下降{value}（同类用户：{peer}）|上升{value}（同类用户：{peer}）",
)


@pytest.fixture(autouse=True)
def _specs(monkeypatch):
    register_test_specs(monkeypatch)
    for spec in (FLAG_SPEC, SIGNED_SPEC):
        monkeypatch.setitem(registry._REGISTRY, spec.name, spec)


def test_a_high_risk_feature_is_a_reason_only_above_its_peers():
    """t_zero_days (risky: high) with the largest contribution in every row: a reason where the
    value is above the peer median (a: 5 > 1), not where it equals it (b: 1 = 1) or is below
    (c: 0 < 2), kept where the peer is unknown (d); t_mean_kwh (risky: either) takes the place."""
    index = pd.Index(["a", "b", "c", "d"], name="customer_id")
    contributions = pd.DataFrame(
        {"t_zero_days": [0.9] * 4, "t_mean_kwh": [0.2] * 4, "base_value": [-2.0] * 4}, index=index
    )
    values = pd.DataFrame({"t_zero_days": [5.0, 1.0, 0.0, 4.0], "t_mean_kwh": [80.0] * 4}, index=index)
    peers = pd.DataFrame({"t_zero_days": [1.0, 1.0, 2.0, np.nan], "t_mean_kwh": [100.0] * 4}, index=index)
    reasons = top_reasons(contributions, values, peers, language="en")
    assert reasons["reason_codes"].tolist() == [
        "t_zero_days;t_mean_kwh",
        "t_mean_kwh",
        "t_mean_kwh",
        "t_zero_days;t_mean_kwh",
    ]
    assert reasons.loc["b", "reason_1"] == "uses 80 kWh a month (peers: 100 kWh)"
    assert reasons.loc["d", "reason_1"] == "4 days with zero consumption (peers: n/a days)"
    # without peers (the candidates' peers not yet known) the rule cannot apply
    assert reason_features(contributions, values) == ["t_mean_kwh", "t_zero_days"]


@pytest.mark.parametrize(
    ("value", "unit", "language", "expected"),
    [
        (0.64, "ratio", "zh", "64%"),
        (0.5, "share", "en", "50%"),
        (1234.4, "kwh", "en", "1,234"),
        (12, "days", "zh", "12"),
        (3, "months", "en", "3"),
        (7.3, "kwh_per_day", "en", "7.3"),
        (0.25, "kwh_per_day", "en", "0.25"),
        (15.0, "count", "en", "15"),
        (2500, "yuan", "zh", "2,500"),
        (64.4, "percent", "en", "64%"),
        (1, "flag", "zh", "是"),
        (0, "flag", "en", "no"),
        (0.537, "score", "en", "0.54"),
        ("A017", "category", "zh", "A017"),
        (-0.001, "ratio", "en", "0%"),
        (-0.004, "score", "en", "0.00"),
        (-0.001, "kwh", "en", "0.00"),
        (-0.2, "kwh", "en", "-0.20"),
        (-0.25, "ratio", "en", "-25%"),
        (-1234.0, "kwh", "en", "-1,234"),
        (float("nan"), "kwh", "zh", "无数据"),
        (None, "days", "en", "n/a"),
    ],
)
def test_format_value(value, unit, language, expected):
    assert format_value(value, unit, language) == expected


def hand_contributions() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    index = pd.Index(["c1", "c2"], name="customer_id")
    contributions = pd.DataFrame(
        {
            "t_drop_ratio": [0.5, -0.5],
            "t_zero_days": [0.9, 0.0],
            "t_mean_kwh": [-0.2, 0.3],
            "area_id": [0.1, -0.1],
            "base_value": [-2.0, -2.0],
        },
        index=index,
    )
    values = pd.DataFrame(
        {
            "t_drop_ratio": [0.64, 0.1],
            "t_zero_days": [12.0, 0.0],
            "t_mean_kwh": [1234.0, 980.0],
            "area_id": ["A017", "A002"],
        },
        index=index,
    )
    peers = pd.DataFrame(
        {
            "t_drop_ratio": [0.1, 0.1],
            "t_zero_days": [2.0, 2.0],
            "t_mean_kwh": [800.0, 800.0],
            "area_id": ["A017", "A002"],
        },
        index=index,
    )
    return contributions, values, peers


def test_top_reasons_orders_positive_contributions_and_stops_at_the_positives():
    reasons = top_reasons(*hand_contributions(), language="en")
    assert reasons.loc["c1", "reason_codes"] == "t_zero_days;t_drop_ratio;area_id"
    assert reasons.loc["c1", "reason_1"] == "12 days with zero consumption (peers: 2 days)"
    assert reasons.loc["c1", "reason_2"] == "consumption fell 64% below its own median (peers: 10%)"
    assert "A017" in reasons.loc["c1", "reason_3"]  # the category reason names the area
    # c2: only t_mean_kwh pushes toward risk (0.0 does not count)
    assert reasons.loc["c2", "reason_codes"] == "t_mean_kwh"
    assert reasons.loc["c2", "reason_1"] == "uses 980 kWh a month (peers: 800 kWh)"
    assert reasons.loc["c2", ["reason_2", "reason_3"]].tolist() == ["", ""]


def test_language_switch():
    zh = top_reasons(*hand_contributions(), language="zh")
    en = top_reasons(*hand_contributions(), language="en")
    assert zh.loc["c1", "reason_1"] == "零电量12天（同类用户：2天）"
    assert en.loc["c1", "reason_1"].startswith("12 days")
    assert zh.loc["c1", "reason_codes"] == en.loc["c1", "reason_codes"]


def test_undescribed_feature_still_gets_a_plain_reason():
    assert render_reason("not_in_registry_xyz", 3.0, 1.0, "en") == "not_in_registry_xyz = 3"


def test_tariff_category_is_shown_in_chinese():
    assert "居民生活" in render_reason("tariff_category", "residential", None, "zh")
    assert "residential" in render_reason("tariff_category", "residential", None, "en")


def test_peer_median_uses_tariff_and_area_and_falls_back_to_the_tariff():
    features = pd.DataFrame(
        {
            "tariff_category": ["r", "r", "r", "r", "r", "r", "c"],
            "area_id": ["X", "X", "X", "X", "X", "Y", "X"],
            "t_mean_kwh": [1.0, 2.0, 3.0, 4.0, 5.0, 100.0, 10.0],
        },
        index=[f"k{i}" for i in range(7)],
    )
    peers = peer_medians(features, ["t_mean_kwh", "area_id"], min_group=5)
    # r/X has 5 members -> its own median 3; r/Y and c/X are too small -> whole tariff category
    assert peers["t_mean_kwh"].tolist() == [3.0, 3.0, 3.0, 3.0, 3.0, 3.5, 10.0]
    assert peers["area_id"].isna().all()  # a category has no peer value


def test_a_flag_is_a_reason_only_when_set():
    index = pd.Index(["set", "unset"], name="customer_id")
    contributions = pd.DataFrame(
        {"t_self_approved": [0.9, 0.9], "t_zero_days": [0.2, 0.2], "base_value": [-2.0, -2.0]}, index=index
    )
    values = pd.DataFrame({"t_self_approved": [1.0, 0.0], "t_zero_days": [5.0, 6.0]}, index=index)
    peers = pd.DataFrame({"t_zero_days": [1.0, 1.0]}, index=index)
    reasons = top_reasons(contributions, values, peers, language="en")
    assert reasons.loc["set", "reason_codes"] == "t_self_approved;t_zero_days"
    assert reasons.loc["set", "reason_1"] == "approved by the same person who handled it"
    # the unset flag pushed the score up too, but "approved by the same person" would be false
    assert reasons.loc["unset", "reason_codes"] == "t_zero_days"
    assert reasons.loc["unset", "reason_1"] == "6 days with zero consumption (peers: 1 days)"
    assert reason_features(contributions, values) == ["t_self_approved", "t_zero_days"]
    assert reason_features(contributions.loc[["unset"]], values.loc[["unset"]]) == ["t_zero_days"]


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        (0.64, "en", "fell 64% below its median (peers: 10%)"),
        (-0.15, "en", "rose 15% above its median (peers: 10%)"),
        (0.0, "en", "fell 0% below its median (peers: 10%)"),
        (float("nan"), "en", "drop vs own median: no data"),
        (None, "zh", "较自身中位数下降：无数据"),
        (-0.15, "zh", "上升15%（同类用户：10%）"),
    ],
)
def test_a_negative_value_takes_the_template_s_second_form(value, language, expected):
    assert render_reason("t_signed_drop", value, 0.1, language) == expected


def test_sign_form_leaves_one_form_templates_alone():
    assert sign_form("changed by {value}", -0.2) == ("changed by {value}", -0.2)
    assert sign_form("a {value}|b {value}", "A017") == ("a {value}", "A017")


def area_model_frame(n_rows: int = 3000, n_areas: int = 300, seed: int = 2):
    """A 300-level area id that carries most of the risk (shared case 03)."""
    rng = np.random.default_rng(seed)
    areas = np.array([f"A{i:03d}" for i in range(n_areas)])
    area_index = np.arange(n_rows) % n_areas
    x = rng.normal(size=n_rows)
    risky_area = area_index < 30
    p = np.where(risky_area, 0.8, 0.05) / (1 + np.exp(-0.3 * x)) * 1.2
    y = (rng.random(n_rows) < np.clip(p, 0, 1)).astype(int)
    frame = pd.DataFrame(
        {"area_id": pd.Categorical(areas[area_index], categories=areas), "t_mean_kwh": x * 100 + 500},
        index=pd.Index([f"C{i:05d}" for i in range(n_rows)], name="customer_id"),
    )
    return frame, y, risky_area


def test_case_03_category_contributions_add_up_and_the_reason_names_the_area():
    """shared/cases/03-explaining-categories: contributions (LightGBM's own TreeSHAP, no shap
    call on category columns) plus the base value equal the raw score to 1e-6 for every row of a
    model with a 300-level area id, and the reason sentence names the area."""
    frame, y, risky_area = area_model_frame()
    model = RiskModel(
        params={"min_child_samples": 5, "min_data_per_group": 5, "num_threads": 1, "cat_smooth": 1},
        num_boost_round=60,
        early_stopping_rounds=None,
        calibration=None,
    ).fit(frame, y)
    assert "area_id" in model.categorical_features_
    assert len(model.category_levels_["area_id"]) == 300
    contributions = model.contributions(frame)
    total = contributions.sum(axis=1).to_numpy()
    np.testing.assert_allclose(total, model.raw_score(frame), rtol=0, atol=1e-6)
    assert contributions["area_id"].abs().max() > 0.5  # the category really is used

    rows = frame.index[risky_area][:20]
    peers = peer_medians(frame, ["area_id", "t_mean_kwh"])
    reasons = top_reasons(contributions.loc[rows], frame.loc[rows], peers.loc[rows], language="zh")
    first = reasons.loc[reasons["reason_codes"].str.startswith("area_id")]
    assert len(first) > 0
    for cid, sentence in first["reason_1"].items():
        assert str(frame.at[cid, "area_id"]) in sentence


def test_peer_comparisons_are_folded_into_the_feature_they_compare():
    import pandas as pd

    from gridaudit.scoring.reasons import reason_strengths, top_reasons

    base, z = "kwh_drop_ratio_1m_vs_12m", "kwh_drop_ratio_1m_vs_12m_z_company_peers"
    other = "zero_day_share_90d"
    contributions = pd.DataFrame({base: [0.1], z: [0.5], other: [0.3], "base_value": [-3.0]}, index=["c1"])
    values = pd.DataFrame({base: [0.64], z: [6.8], other: [0.5]}, index=["c1"])
    strengths = reason_strengths(contributions, values)
    assert strengths.loc["c1", base] == pytest.approx(0.6)  # 0.1 + 0.5
    assert strengths.loc["c1", z] == 0.0
    peers = pd.DataFrame({base: [0.03], other: [0.0]}, index=["c1"])
    reasons = top_reasons(contributions, values, peers, "en")
    assert reasons.loc["c1", "reason_codes"] == f"{base};{other}"
    assert "64%" in reasons.loc["c1", "reason_1"] and "standard deviation" not in reasons.loc["c1", "reason_1"]


@pytest.mark.parametrize(
    ("feature", "value", "expected"),
    [
        ("curve_skewness", -0.23, "most days above its average with a few much lighter days (skewness -0.23)"),
        ("curve_skewness", 0.8, "most days below its average with a few much heavier days (skewness 0.80)"),
        ("curve_trend_slope", -0.2, "daily use falls by 20% of its mean every 30 days"),
        ("curve_trend_slope", 0.1, "daily use rises by 10% of its mean every 30 days"),
    ],
)
def test_shape_statistics_read_as_what_they_say_about_the_days(feature, value, expected):
    """A skewness or a trend is told by its sign, never as a bare signed statistic."""
    assert render_reason(feature, value, None, "en") == expected
    assert "-" not in render_reason(feature, value, None, "zh").replace("偏度-", "")


def test_an_area_reason_says_what_is_known_about_the_area():
    """A category says nothing by itself: beside the area, its findings, finding rate and line
    loss over 12 months, each only when the row has it."""
    index = pd.Index(["a", "b"], name="customer_id")
    contributions = pd.DataFrame({"area_id": [0.9, 0.9], "base_value": [-2.0, -2.0]}, index=index)
    values = pd.DataFrame(
        {
            "area_id": ["TA-0091", "TA-0007"],
            "area_finding_count_12m": [3.0, np.nan],
            "area_finding_rate_12m": [0.25, np.nan],
            "area_loss_rate_12m": [0.081, 0.05],
        },
        index=index,
    )
    peers = pd.DataFrame({"area_id": [None, None]}, index=index, dtype=object)
    en = top_reasons(contributions, values, peers, language="en")
    assert en.loc["a", "reason_1"] == (
        "the account belongs to area TA-0091 "
        "(3 problems found there in 12 months; 25% of its inspections found one; mean line loss 8%)"
    )
    assert en.loc["b", "reason_1"] == "the account belongs to area TA-0007 (mean line loss 5%)"
    zh = top_reasons(contributions, values, peers, language="zh")
    assert zh.loc["a", "reason_1"] == "所属台区为TA-0091（该台区近12个月查实3起，稽查查实率25%，平均线损率8%）"
