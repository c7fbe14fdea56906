"""The HTML report rendered from hand-built list files: summary figures, one section and chart
per target, the as-of month marked, weekly means with missing weeks left as gaps, no external
references."""

import re

import numpy as np
import pandas as pd

from gridaudit.scoring.listing import normalise
from gridaudit.scoring.report import curve_svg, period_means, render_report


def hand_list() -> pd.DataFrame:
    return normalise(
        pd.DataFrame(
            {
                "month": "2026-01",
                "rank": [1, 2, 3],
                "target_type": "customer",
                "target_id": ["C1", "C2", "C3"],
                "customer_id": ["C1", "C2", "C3"],
                "area_id": ["A1", "A1", "A2"],
                "score": [0.9, 0.2, 0.05],
                "risk_tier": ["high", "medium", "low"],
                "expected_recovery": [1000.0, 234.0, np.nan],
                "selection": ["model", "model", "exploration"],
                "inclusion_probability": [1.0, 1.0, 0.01],
                "reason_1": ["原因<甲>", "原因乙", ""],
                "reason_2": "",
                "reason_3": "",
                "reason_codes": "",
                "model_name": "customer_risk",
                "model_version": "4",
            }
        )
    )


def hand_curves() -> pd.DataFrame:
    dates = pd.date_range("2025-01-01", "2025-12-31", freq="D")
    kwh = np.full(len(dates), 10.0)
    kwh[100:121] = np.nan  # three weeks not collected: a gap, not a zero
    return pd.DataFrame({"customer_id": "C1", "date": dates, "kwh": kwh, "peer_kwh": 20.0})


def hand_contributions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["C1", "C1", "C1", "C2", "C2"],
            "feature": ["f_a", "f_b", "base_value", "f_a", "base_value"],
            "contribution": [0.8, -0.3, -2.0, 0.1, -2.0],
        }
    )


RUN = {"month": "2026-01", "as_of": "2025-12", "model": {"name": "customer_risk", "version": "4"}}


def test_summary_sections_and_escaping():
    text = render_report(hand_list(), RUN, hand_curves(), hand_contributions(), "zh")
    assert '<html lang="zh-CN">' in text
    assert "<td>1,234</td>" in text  # 1000 + 234, the unknown amount skipped
    assert "customer_risk v4" in text
    assert text.count('<section class="target"') == 3
    assert text.count('<svg class="chart curve"') == 1  # only C1 has a curve
    assert text.count("无日用电曲线数据") == 2
    assert text.count('<svg class="chart contrib"') == 2  # C3 has no contributions
    assert text.count("<script>") == 1 and "data-charts-ok" in text  # the chart check only
    assert "原因&lt;甲&gt;" in text and "原因<甲>" not in text
    assert "无推高风险的因素" in text  # C3 has no reason
    tiers = re.search(r"按风险等级</h2>(.*?)</table>", text).group(1)
    assert re.findall(r"<td>(.*?)</td>", tiers) == ["高", "1", "中", "1", "低", "1"]
    assert not re.search(r"https?://", text)


def test_curve_marks_the_as_of_month_and_leaves_gaps():
    svg = curve_svg(hand_curves(), "2025-12", width=640)
    # 365 days over 584 px from x=48: December 1st is day 334 -> x = 48 + 334 * 584 / 364
    shade_x = float(re.search(r'<rect x="([\d.]+)"', svg).group(1))
    assert shade_x == round(48 + 334 * 584 / 364, 1)
    own = re.findall(r'<polyline points="([^"]+)" fill="none" stroke="#1565c0"', svg)
    # weeks counted back from Dec 31st: day i is in week (364 - i) // 7; weeks 35 (days 114-120)
    # and 36 (days 107-113) lie wholly in the missing days 100-120, so 53 weeks give 16 + 35 points
    assert len(own) == 2
    assert len(own[0].split()) == 16 and len(own[1].split()) == 35
    # every weekly mean is 10 kWh against a top of 20: y = 8 + 120 * (1 - 10 / 20)
    assert {point.split(",")[1] for line in own for point in line.split()} == {"68.0"}


def test_period_means_count_back_from_the_last_day_and_skip_missing_days():
    values = np.array([1, 2, 3, np.nan, np.nan, np.nan, np.nan, np.nan, 5, 6], dtype=float)
    centre, mean = period_means(values, days=3)
    # periods (oldest first): day 0 | days 1-3 | days 4-6 | days 7-9
    np.testing.assert_array_equal(centre, [0.0, 2.0, 5.0, 8.0])
    np.testing.assert_array_equal(mean, [1.0, 2.5, np.nan, 5.5])


def test_report_size_stays_small_with_many_targets():
    listing = pd.concat([hand_list()] * 34, ignore_index=True).head(100)
    listing = listing.assign(customer_id=[f"C{i}" for i in range(100)], rank=range(1, 101))
    curves = pd.concat([hand_curves().assign(customer_id=f"C{i}") for i in range(100)], ignore_index=True)
    text = render_report(listing, RUN, curves, None, "en")
    assert text.count('<svg class="chart curve"') == 100
    assert len(text.encode("utf-8")) < 400_000  # daily points made it ~1.7 MB


def test_contribution_bar_labels_are_cut_but_whole_on_hover():
    from gridaudit.scoring.report import LABEL_CHARS, contribution_svg

    long_name = "x" * (LABEL_CHARS + 10)  # not in the registry: the name is its own meaning
    contrib = pd.DataFrame(
        {"feature": ["kwh_drop_ratio_1m_vs_12m", long_name, "base_value"], "contribution": [0.8, -0.3, -2.0]}
    )
    svg = contribution_svg(contrib, "en")
    assert f"<title>{long_name}</title>{'x' * (LABEL_CHARS - 1)}…</text>" in svg
    assert svg.count("<rect") == 2  # the base value is no bar
