"""The auditor's report: one self-contained HTML file per list (inline CSS and SVG, no network),
rendered from the list folder's own files so ``gridaudit report`` can redo it.

Only list columns are shown (ids, scores, reasons): the list never carries names, addresses or
phones, and neither does the report.

The consumption charts plot weekly means (the list folder keeps the daily curve in
curves.parquet): a year of daily points for each of a hundred targets made the file several
megabytes for no visible gain. One tiny inline script runs after the page is laid out: it counts
the charts (``svg.chart``) that the browser drew with a non-zero size and writes the counts on
``<body data-charts=".." data-charts-ok="..">``, so a headless browser can tell that every chart
rendered (tests/test_report_browser.py).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..features import registry
from ..io import write_text

REPORT_FILE = "report.html"
N_BARS = 8
CHART_DAYS = 7  # the curve chart plots means over this many days

# Counts the drawn charts once the page is laid out (see the module docstring).
CHART_CHECK_SCRIPT = (
    "<script>window.addEventListener('load',function(){"
    "var charts=document.querySelectorAll('svg.chart'),ok=0;"
    "for(var i=0;i<charts.length;i++){var box=charts[i].getBoundingClientRect();"
    "if(box.width>0&&box.height>0){ok++;}}"
    "document.body.setAttribute('data-charts',String(charts.length));"
    "document.body.setAttribute('data-charts-ok',String(ok));});</script>"
)

TEXT = {
    "zh": {
        "title": "稽查清单报告",
        "month": "清单月份",
        "as_of": "数据截至",
        "model": "模型",
        "targets": "稽查对象数",
        "recovery": "预计追补金额合计(元)",
        "by_area": "按台区(前10)",
        "by_tier": "按风险等级",
        "by_selection": "按选取方式",
        "area": "台区",
        "count": "数量",
        "rank": "排名",
        "customer": "用户编号",
        "order": "工单编号",
        "score": "风险评分",
        "tier": "风险等级",
        "selection": "选取方式",
        "expected": "预计追补(元)",
        "reasons": "原因",
        "curve": "近12个月日用电量(kWh)：本户(实线)与同台区同类别用户中位数(虚线)，阴影为数据截至月",
        "bars": "各因素对风险的贡献(对数几率)：红色推高风险，蓝色降低风险",
        "no_curve": "无日用电曲线数据",
        "no_reason": "无推高风险的因素",
        "high": "高",
        "medium": "中",
        "low": "低",
        "model_pick": "模型",
        "exploration": "探索",
        "note": "探索对象为随机抽取，请同样全部稽查，以便评估模型。",
    },
    "en": {
        "title": "Inspection list report",
        "month": "List month",
        "as_of": "Data as of",
        "model": "Model",
        "targets": "Targets",
        "recovery": "Expected recovery total (yuan)",
        "by_area": "By area (top 10)",
        "by_tier": "By risk tier",
        "by_selection": "By selection",
        "area": "Area",
        "count": "Count",
        "rank": "Rank",
        "customer": "Customer",
        "order": "Work order",
        "score": "Score",
        "tier": "Risk tier",
        "selection": "Selection",
        "expected": "Expected recovery (yuan)",
        "reasons": "Reasons",
        "curve": "Daily kWh, last 12 months: this customer (solid) and the median of its peers (dashed); "
        "the shaded band is the as-of month",
        "bars": "Contribution of each factor to the risk (log-odds): red raises it, blue lowers it",
        "no_curve": "no daily curve data",
        "no_reason": "no factor raises the risk",
        "high": "high",
        "medium": "medium",
        "low": "low",
        "model_pick": "model",
        "exploration": "exploration",
        "note": "Exploration targets were drawn at random; inspect all of them too, so the model can be evaluated.",
    },
}

CSS = """
body{font-family:-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;margin:2em auto;
max-width:1000px;color:#222;line-height:1.45}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f2f2f2}.summary{display:flex;flex-wrap:wrap;gap:2em}
.target{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:1em 0;page-break-inside:avoid}
.target h3{margin:.2em 0;font-size:1.05em}.tier-high{color:#b00020}.tier-medium{color:#b26a00}
.tier-low{color:#2e7d32}.caption{font-size:.85em;color:#555}svg{display:block;margin:.3em 0}
.note{color:#555;font-size:.9em}
"""


def _esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _count_table(counts: pd.Series, head: tuple[str, str]) -> str:
    rows = "".join(f"<tr><td>{_esc(k)}</td><td>{int(v)}</td></tr>" for k, v in counts.items())
    return f"<table><tr><th>{_esc(head[0])}</th><th>{_esc(head[1])}</th></tr>{rows}</table>"


def _polyline_paths(x: np.ndarray, y: np.ndarray) -> list[str]:
    """SVG polyline point lists, broken where the value is missing (no data is not zero)."""
    paths, current = [], []
    for xi, yi in zip(x, y, strict=True):
        if np.isnan(yi):
            if len(current) > 1:
                paths.append(" ".join(current))
            current = []
        else:
            current.append(f"{xi:.1f},{yi:.1f}")
    if len(current) > 1:
        paths.append(" ".join(current))
    return paths


def period_means(values: np.ndarray, days: int = CHART_DAYS) -> tuple[np.ndarray, np.ndarray]:
    """Means of consecutive ``days``-day periods counted back from the last day (so the last
    period ends on the as-of month's last day; the first may be shorter), ignoring days not
    collected; a period with no collected day stays missing (a gap, not a zero).

    Returns ``(centre, mean)``: each period's centre as a day position (0 = first day) and its mean.
    """
    n = len(values)
    if n == 0:
        return np.array([], dtype=float), np.array([], dtype=float)
    period = (n - 1 - np.arange(n)) // days  # 0 = the last period
    n_periods = int(period[0]) + 1
    collected = ~np.isnan(values)
    sums = np.bincount(period, weights=np.where(collected, values, 0.0), minlength=n_periods)
    counts = np.bincount(period, weights=collected.astype(float), minlength=n_periods)
    first = np.bincount(period, weights=np.arange(n, dtype=float), minlength=n_periods)
    sizes = np.bincount(period, minlength=n_periods)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, sums / counts, np.nan)
    centre = first / sizes
    return centre[::-1], mean[::-1]


def curve_svg(curve: pd.DataFrame, as_of_month: str, width: int = 640, height: int = 150) -> str:
    """Weekly mean daily kWh of one target and its peers' median; the as-of month is shaded."""
    pad_l, pad_r, pad_t, pad_b = 48, 8, 8, 22
    dates = pd.to_datetime(curve["date"]).to_numpy()
    centre, own = period_means(curve["kwh"].to_numpy(dtype=float))
    _, peer = period_means(curve["peer_kwh"].to_numpy(dtype=float))
    top = np.nanmax(np.concatenate([own, peer])) if np.isfinite(np.concatenate([own, peer])).any() else 1.0
    top = float(top) if top > 0 else 1.0
    n = len(dates)
    inner_w, inner_h = width - pad_l - pad_r, height - pad_t - pad_b
    x_day = pad_l + np.arange(n) * (inner_w / max(n - 1, 1))
    x = pad_l + centre * (inner_w / max(n - 1, 1))

    def y_of(values: np.ndarray) -> np.ndarray:
        return pad_t + inner_h * (1 - values / top)

    start = pd.Period(as_of_month, freq="M").to_timestamp(how="start").to_datetime64()
    first_in = int(np.searchsorted(dates, start))
    shade_x = x_day[min(first_in, n - 1)] if n else pad_l
    parts = [
        f'<svg class="chart curve" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">',
        f'<rect x="{shade_x:.1f}" y="{pad_t}" width="{pad_l + inner_w - shade_x:.1f}" height="{inner_h}" '
        f'fill="#fff3cd"/>',
        f'<line x1="{pad_l}" y1="{pad_t + inner_h}" x2="{pad_l + inner_w}" y2="{pad_t + inner_h}" stroke="#999"/>',
        f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{pad_t + inner_h}" stroke="#999"/>',
        f'<text x="{pad_l - 4}" y="{pad_t + 10}" font-size="10" text-anchor="end">{top:,.0f}</text>',
        f'<text x="{pad_l - 4}" y="{pad_t + inner_h}" font-size="10" text-anchor="end">0</text>',
    ]
    if n:
        for label_at in (0, n - 1):
            anchor = "start" if label_at == 0 else "end"
            day = pd.Timestamp(dates[label_at]).strftime("%Y-%m-%d")
            parts.append(
                f'<text x="{x_day[label_at]:.1f}" y="{height - 6}" font-size="10" text-anchor="{anchor}">{day}</text>'
            )
    for points in _polyline_paths(x, y_of(peer)):
        parts.append(f'<polyline points="{points}" fill="none" stroke="#888" stroke-dasharray="4 3"/>')
    for points in _polyline_paths(x, y_of(own)):
        parts.append(f'<polyline points="{points}" fill="none" stroke="#1565c0" stroke-width="1.2"/>')
    parts.append("</svg>")
    return "".join(parts)


def _meaning(feature: str, language: str) -> str:
    try:
        return registry.spec(feature).meaning(language)
    except KeyError:
        return feature


LABEL_CHARS = 42  # a bar's label is cut after this many characters (whole on hover)


def contribution_svg(contrib: pd.DataFrame, language: str, width: int = 640) -> str:
    """Horizontal bars of the largest contributions (by size) of one target."""
    rows = contrib.loc[contrib["feature"] != "base_value"]
    rows = rows.reindex(rows["contribution"].abs().sort_values(ascending=False, kind="stable").index)
    rows = rows.head(N_BARS)
    bar_h, label_w, pad = 18, 300, 6
    height = pad * 2 + bar_h * max(len(rows), 1)
    span = float(rows["contribution"].abs().max()) if len(rows) else 1.0
    span = span if span > 0 else 1.0
    mid = label_w + (width - label_w) / 2
    half = (width - label_w) / 2 - 40
    parts = [
        f'<svg class="chart contrib" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">',
        f'<line x1="{mid:.1f}" y1="0" x2="{mid:.1f}" y2="{height}" stroke="#999"/>',
    ]
    for i, (feature, value) in enumerate(zip(rows["feature"], rows["contribution"], strict=True)):
        y = pad + i * bar_h
        length = abs(value) / span * half
        x0 = mid if value >= 0 else mid - length
        color = "#c62828" if value >= 0 else "#1565c0"
        meaning = _meaning(feature, language)
        label = meaning if len(meaning) <= LABEL_CHARS else meaning[: LABEL_CHARS - 1] + "…"
        parts.append(  # a cut label shows its whole meaning on hover
            f'<text x="{label_w - 6}" y="{y + 13}" font-size="11" text-anchor="end">'
            f"<title>{_esc(meaning)}</title>{_esc(label)}</text>"
            f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(length, 0.5):.1f}" height="{bar_h - 6}" fill="{color}"/>'
            f'<text x="{(x0 + length + 4) if value >= 0 else (x0 - 4):.1f}" y="{y + 13}" font-size="10" '
            f'text-anchor="{"start" if value >= 0 else "end"}">{value:+.2f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def render_report(
    listing: pd.DataFrame,
    run: dict,
    curves: pd.DataFrame | None,
    contributions: pd.DataFrame | None,
    language: str = "zh",
) -> str:
    """The whole HTML document as a string."""
    t = TEXT["zh" if language == "zh" else "en"]
    month = str(run.get("month", listing["month"].iloc[0] if len(listing) else ""))
    as_of = str(run.get("as_of", ""))
    model = run.get("model", {})
    model_text = f"{model.get('name', '')} v{model.get('version', '')}"
    total = float(np.nansum(listing["expected_recovery"].to_numpy(dtype=float))) if len(listing) else 0.0
    tier_names = {"high": t["high"], "medium": t["medium"], "low": t["low"]}
    sel_names = {"model": t["model_pick"], "exploration": t["exploration"]}
    by_area = listing["area_id"].value_counts().sort_index(kind="stable")
    by_area = by_area.sort_values(ascending=False, kind="stable").head(10)
    by_tier = listing["risk_tier"].value_counts().reindex(list(tier_names)).dropna()
    by_tier.index = by_tier.index.map(tier_names)
    by_sel = listing["selection"].value_counts().reindex(list(sel_names)).dropna()
    by_sel.index = by_sel.index.map(sel_names)

    out = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if language == "zh" else "en"}">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(t['title'])} {_esc(month)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{_esc(t['title'])} {_esc(month)}</h1>",
        "<table>",
        f"<tr><th>{_esc(t['month'])}</th><td>{_esc(month)}</td></tr>",
        f"<tr><th>{_esc(t['as_of'])}</th><td>{_esc(as_of)}</td></tr>",
        f"<tr><th>{_esc(t['model'])}</th><td>{_esc(model_text)}</td></tr>",
        f"<tr><th>{_esc(t['targets'])}</th><td>{len(listing)}</td></tr>",
        f"<tr><th>{_esc(t['recovery'])}</th><td>{total:,.0f}</td></tr>",
        "</table>",
        '<div class="summary">',
        f"<div><h2>{_esc(t['by_area'])}</h2>{_count_table(by_area, (t['area'], t['count']))}</div>",
        f"<div><h2>{_esc(t['by_tier'])}</h2>{_count_table(by_tier, (t['tier'], t['count']))}</div>",
        f"<div><h2>{_esc(t['by_selection'])}</h2>{_count_table(by_sel, (t['selection'], t['count']))}</div>",
        "</div>",
        f'<p class="note">{_esc(t["note"])}</p>',
    ]
    curve_groups = (
        dict(tuple(curves.groupby("customer_id", sort=False))) if curves is not None and len(curves) else {}
    )
    contrib_groups = {}
    if contributions is not None and len(contributions):
        if "target_type" not in contributions.columns:  # lists written before work orders were listed
            contributions = contributions.assign(target_type="customer")
        contrib_groups = dict(tuple(contributions.groupby(["target_type", "customer_id"], sort=False)))
    order = listing.assign(_orders_last=(listing["target_type"] != "customer").astype(int))
    order = order.sort_values(["_orders_last", "rank"], kind="stable").drop(columns="_orders_last")
    for row in order.itertuples(index=False):
        cid = str(row.customer_id)
        tid = str(row.target_id)
        is_order = row.target_type == "work_order"
        who = (
            f"{_esc(t['order'])} {_esc(tid)} · {_esc(t['customer'])} {_esc(cid)}"
            if is_order
            else f"{_esc(t['customer'])} {_esc(cid)}"
        )
        reasons = [r for r in (row.reason_1, row.reason_2, row.reason_3) if isinstance(r, str) and r]
        reason_html = "".join(f"<li>{_esc(r)}</li>" for r in reasons) or f"<li>{_esc(t['no_reason'])}</li>"
        recovery = "" if pd.isna(row.expected_recovery) else f"{row.expected_recovery:,.0f}"
        out += [
            f'<section class="target" id="{"order" if is_order else "target"}-{_esc(tid)}">',
            f"<h3>{_esc(t['rank'])} {int(row.rank)} · {who} · "
            f"{_esc(t['area'])} {_esc(row.area_id)}</h3>",
            f"<p>{_esc(t['score'])} {row.score:.3f} · {_esc(t['tier'])} "
            f'<span class="tier-{_esc(row.risk_tier)}">{_esc(tier_names.get(row.risk_tier, row.risk_tier))}</span>'
            f" · {_esc(t['selection'])} {_esc(sel_names.get(row.selection, row.selection))}"
            f" · {_esc(t['expected'])} {recovery}</p>",
            f"<b>{_esc(t['reasons'])}</b><ol>{reason_html}</ol>",
            f'<div class="caption">{_esc(t["curve"])}</div>',
        ]
        curve = curve_groups.get(cid)
        if curve is not None and curve["kwh"].notna().any():
            out.append(curve_svg(curve, as_of or month))
        else:
            out.append(f'<p class="caption">{_esc(t["no_curve"])}</p>')
        contrib = contrib_groups.get(("work_order" if is_order else "customer", tid))
        if contrib is not None:
            out += [f'<div class="caption">{_esc(t["bars"])}</div>', contribution_svg(contrib, language)]
        out.append("</section>")
    out.append(CHART_CHECK_SCRIPT)
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_report(folder: str | Path, language: str | None = None, target: str | Path | None = None) -> Path:
    """Render ``report.html`` from a list folder (list.parquet, run.json, curves and contributions)."""
    folder = Path(folder)
    list_path = folder / "list.parquet"
    if not list_path.exists():
        raise InputError(
            f"{folder} is not an inspection-list folder (no list.parquet); give the month folder "
            f"that 'gridaudit score' wrote, e.g. lists/2026-01/"
        )
    listing = pd.read_parquet(list_path)
    run_path = folder / "run.json"
    run = json.loads(run_path.read_text(encoding="utf-8")) if run_path.exists() else {}
    curves = pd.read_parquet(folder / "curves.parquet") if (folder / "curves.parquet").exists() else None
    contrib_path = folder / "contributions.parquet"
    contributions = pd.read_parquet(contrib_path) if contrib_path.exists() else None
    language = language or run.get("language", "zh")
    text = render_report(listing, run, curves, contributions, language)
    return write_text(Path(target) if target else folder / REPORT_FILE, text)
