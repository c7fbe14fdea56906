"""Turn a listed target's SHAP contributions into up to three sentences an auditor can check.

For each explained row the features with the largest *positive* contributions (those that push
toward risk) become reasons, rendered with the feature's registry template. ``{value}`` is the
target's own value, formatted by the feature's unit; ``{peer}`` is the median of the feature among
customers of the same tariff category in the same area (the whole tariff category when that group
has fewer than ``min_group`` customers). A category feature's value is its raw level, e.g. the
transformer-area id; it has no peer value (its peers share its level by definition), so a
``{peer}`` in its template reads "n/a". Fewer than three positive contributions give fewer reasons.

These rules keep every sentence true:

- A flag feature (unit ``flag``) is a reason only when the flag is set (value 1): "approved by the
  same person who handled it" must not be printed for an order where that is false, even when
  the flag's absence happened to push the score up. The next feature takes its place.
- A missing value gives "<meaning>: no data" instead of its template (no data can itself push
  the risk up, but "use only n/a of a usual day" is no sentence).
- A feature whose risky direction is high (or low) is a reason only when the target's value is
  above (below) its peers' median: "its share of the area's drop is 0% (peers: 0%)" warns of
  nothing, even when the model's interactions gave it weight. Where the peer is unknown the
  feature stays a candidate. :data:`REASON_CANDIDATES` per row get their peers computed.
- A template may carry two forms separated by ``|``: the first for values >= 0, the second for
  negative values, which it shows as their size ("fell {value} below ...|rose {value} above ..."),
  so a negative drop never reads "fell -15% below".
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from ..contract import VALUE_ALIASES
from ..features import registry

log = logging.getLogger(__name__)

N_REASONS = 3
REASON_CANDIDATES = 8  # features per row whose peers are computed, for the peer-side rule
PEER_KEYS = ("tariff_category", "area_id")
MIN_PEER_GROUP = 5
SIGN_FORMS = "|"  # separates a template's form for values >= 0 from its form for negative values

# facts that say why a category can be risky, shown beside it (when the row has them): an
# auditor reading "belongs to area TA-0091" wants to know what is known about that area
CATEGORY_CONTEXT = {
    "area_id": (  # (feature, English fact, Chinese fact)
        ("area_finding_count_12m", "{value} problems found there in 12 months", "近12个月查实{value}起"),
        ("area_finding_rate_12m", "{value} of its inspections found one", "稽查查实率{value}"),
        ("area_loss_rate_12m", "mean line loss {value}", "平均线损率{value}"),
    )
}
_CONTEXT_FORMAT = {"zh": ("（该台区{facts}）", "，"), "en": (" ({facts})", "; ")}
_MISSING = {"zh": "无数据", "en": "n/a"}
_FLAG = {"zh": ("是", "否"), "en": ("yes", "no")}
_NO_DATA = {"zh": "{meaning}：无数据", "en": "{meaning}: no data"}
# Chinese display names of category values (canonical value -> first Chinese alias)
_ZH_CATEGORY_VALUES = {
    column: {canonical: alias for alias, canonical in reversed(list(aliases.items()))}
    for (table, column), aliases in VALUE_ALIASES.items()
    if table == "customers"
}


def _unsigned_zero(text: str) -> str:
    """'-0%', '-0.00': a tiny negative rounded to zero reads as a sign without a number."""
    return text[1:] if text.startswith("-") and not text.strip("-0.,%") else text


def _number(number: float) -> str:
    if number == round(number) or abs(number) >= 100:
        return _unsigned_zero(f"{number:,.0f}")
    return _unsigned_zero(f"{number:.1f}" if abs(number) >= 1 else f"{number:.2f}")


def format_value(value, unit: str, language: str = "zh") -> str:
    """A value as an auditor reads it, following the registry's convention (templates carry the
    unit words): ratio and share as percentages ('64%'), percent as '64%', flag as yes/no,
    score with two decimals, category as its raw value, and kwh, kwh_per_day, days, months,
    count, yuan and kva as plain numbers with thousands separators ('1,234')."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return _MISSING.get(language, "n/a")
    if unit == "category":
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return _MISSING.get(language, "n/a")
    if unit in ("ratio", "share"):
        return _unsigned_zero(f"{number * 100:.0f}%")
    if unit == "percent":
        return _unsigned_zero(f"{number:.0f}%")
    if unit == "flag":
        yes, no = _FLAG["zh" if language == "zh" else "en"]
        return yes if number else no
    if unit == "score":
        return _unsigned_zero(f"{number:.2f}")
    return _number(number)


def _spec_or_none(name: str):
    try:
        return registry.spec(name)
    except KeyError:
        return None


def peer_medians(features: pd.DataFrame, columns: list[str], min_group: int = MIN_PEER_GROUP) -> pd.DataFrame:
    """Per customer, the median of each numeric column among its peers (same tariff category and
    area; the whole tariff category when that group is smaller than ``min_group``). Category
    columns get a missing peer (a peer 'median' of an area id means nothing, and its peer group
    shares its level anyway)."""
    numeric = [c for c in columns if c in features.columns and pd.api.types.is_numeric_dtype(features[c])]
    out = pd.DataFrame(index=features.index)
    keys = [k for k in PEER_KEYS if k in features.columns]
    if numeric:
        values = features[numeric].astype(float)
        if len(keys) == 2:
            tariff = features[keys[0]].astype(str)
            area = features[keys[1]].astype(str)
            group = values.groupby([tariff, area], sort=False)
            size = group[numeric[0]].transform("size")
            local = group.transform("median")
            wide = values.groupby(tariff, sort=False).transform("median")
            big = np.broadcast_to((size >= min_group).to_numpy()[:, None], local.shape)
            medians = local.where(big, wide)
        elif keys:
            medians = values.groupby(features[keys[0]].astype(str), sort=False).transform("median")
        else:
            medians = pd.DataFrame(
                np.broadcast_to(values.median().to_numpy(), values.shape), index=values.index, columns=numeric
            )
        out = pd.concat([out, medians], axis=1)
    for col in columns:
        if col not in out.columns and col in features.columns:
            out[col] = pd.Series(None, index=features.index, dtype="object")
    return out


def _as_number(value) -> float | None:
    if value is None or value is pd.NA or isinstance(value, str):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def sign_form(template: str, value) -> tuple[str, object]:
    """The template form for the value's sign and the value to show in it (see the module doc)."""
    if SIGN_FORMS not in template:
        return template, value
    positive, negative = template.split(SIGN_FORMS, 1)
    number = _as_number(value)
    if number is not None and number < 0:
        return negative, -number
    return positive, value


def category_context(feature: str, row: pd.Series | None, language: str = "zh") -> str:
    """The known facts of :data:`CATEGORY_CONTEXT` for a category reason, e.g. the area's
    findings and line loss; empty when the row has none of them."""
    if row is None or feature not in CATEGORY_CONTEXT:
        return ""
    zh = language == "zh"
    wrap, separator = _CONTEXT_FORMAT["zh" if zh else "en"]
    facts = []
    for name, fact_en, fact_zh in CATEGORY_CONTEXT[feature]:
        spec = _spec_or_none(name)
        value = row.get(name) if spec is not None else None
        if _as_number(value) is not None:
            facts.append((fact_zh if zh else fact_en).format(value=format_value(value, spec.unit, language)))
    return wrap.format(facts=separator.join(facts)) if facts else ""


def render_reason(feature: str, value, peer, language: str = "zh", row: pd.Series | None = None) -> str:
    """One sentence for one feature, from its registry template (a plain fallback when the feature
    is not described, so a missing description never stops the list). ``row``: the target's
    other features, for the facts shown beside a category (:func:`category_context`)."""
    if language == "zh" and isinstance(value, str):  # e.g. residential -> 居民生活
        value = _ZH_CATEGORY_VALUES.get(feature, {}).get(value, value)
    spec = _spec_or_none(feature)
    if spec is None:
        shown = format_value(value, "category" if isinstance(value, str) else "count", language)
        return f"{feature} = {shown}"
    if _as_number(value) is None and not isinstance(value, str):
        # a missing value can push the risk (no data is itself a sign), but "only n/a of a usual
        # day" reads as nonsense: name the feature and say there is no data
        return _NO_DATA[language if language in _NO_DATA else "en"].format(meaning=spec.meaning(language))
    unit = spec.unit
    template, value = sign_form(spec.reason_template(language), value)
    shown, peer_shown = format_value(value, unit, language), format_value(peer, unit, language)
    try:
        return template.format(value=shown, peer=peer_shown) + category_context(feature, row, language)
    except (KeyError, IndexError, ValueError) as exc:
        log.warning(
            "feature %s: its reason template cannot be filled (%s); using a plain sentence", feature, exc
        )
        return f"{spec.meaning(language)}: {shown}"


def peer_groups(features: list[str]) -> dict[str, str]:
    """Peer-relative feature -> the level/shape feature it compares (when that one is present).

    An auditor reads "consumption fell 64% below its own median (peers: 3%)", not "6.8 robust
    standard deviations from the company's peers": the comparison is folded into its base."""
    from ..features.peers import PEER_BASES, peer_feature_names

    present = set(features)
    return {
        name: base
        for base in PEER_BASES
        if base in present
        for name in peer_feature_names(base).values()
        if name in present
    }


def reason_strengths(
    contributions: pd.DataFrame, values: pd.DataFrame, peers: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Each feature's claim to be a reason per row: its contribution, or 0 (never a reason) for a
    flag feature whose flag is not set, and, given ``peers``, for a high-risk (low-risk) feature
    whose value is not above (below) its peer median. Peer-relative features add their
    contribution to the feature they compare and are not reasons themselves. Columns: the
    features (``base_value`` dropped)."""
    features = [c for c in contributions.columns if c != "base_value"]
    strengths = contributions[features].astype(float)
    for peer_name, base in peer_groups(features).items():
        strengths[base] = strengths[base] + strengths[peer_name]
        strengths[peer_name] = 0.0
    flags = [c for c in features if c in values.columns and getattr(_spec_or_none(c), "unit", None) == "flag"]
    if flags:
        is_set = values[flags].reindex(strengths.index).apply(pd.to_numeric, errors="coerce").eq(1)
        strengths[flags] = strengths[flags].where(is_set.to_numpy(), 0.0)
    if peers is not None:
        for name in features:
            spec = _spec_or_none(name)
            side = "either" if spec is None or spec.unit == "flag" else spec.risky  # flags: rule above
            if side == "either" or name not in peers.columns or name not in values.columns:
                continue
            value = pd.to_numeric(values[name].reindex(strengths.index), errors="coerce")
            peer = pd.to_numeric(peers[name].reindex(strengths.index), errors="coerce")
            quiet = (value <= peer) if side == "high" else (value >= peer)  # NaN on either side: False
            strengths.loc[quiet.to_numpy(), name] = 0.0
    return strengths


def reason_order(strengths: pd.DataFrame, n_reasons: int = N_REASONS) -> list[list[str]]:
    """Per row, the features that become reasons: the largest positive strengths first (ties
    broken by column order), at most ``n_reasons``."""
    features = strengths.columns.tolist()
    matrix = strengths.to_numpy(dtype=float)
    if not features or not len(matrix):
        return [[] for _ in range(len(matrix))]
    # largest first; ties broken by feature order (stable sort on the negated values)
    order = np.argsort(-matrix, axis=1, kind="stable")[:, :n_reasons]
    top = np.take_along_axis(matrix, order, axis=1)
    return [
        [features[j] for j, c in zip(row, vals, strict=True) if c > 0]
        for row, vals in zip(order, top, strict=True)
    ]


def reason_features(
    contributions: pd.DataFrame, values: pd.DataFrame, n_reasons: int = N_REASONS
) -> list[str]:
    """Every feature that is a reason for some row (the peer medians to compute)."""
    return sorted(
        {name for names in reason_order(reason_strengths(contributions, values), n_reasons) for name in names}
    )


def top_reasons(
    contributions: pd.DataFrame,
    values: pd.DataFrame,
    peers: pd.DataFrame,
    language: str = "zh",
    n_reasons: int = N_REASONS,
) -> pd.DataFrame:
    """``reason_1..reason_n`` and ``reason_codes`` (feature names, ';'-joined) per explained row.

    ``contributions`` has one column per feature plus ``base_value`` (as RiskModel.contributions
    returns); ``values`` and ``peers`` are indexed like it.
    """
    chosen = reason_order(reason_strengths(contributions, values, peers), n_reasons)
    columns = {f"reason_{i + 1}": [] for i in range(n_reasons)}
    codes = []
    for customer, names in zip(contributions.index, chosen, strict=True):  # listed targets only
        for i in range(n_reasons):
            if i < len(names):
                name = names[i]
                peer = peers.at[customer, name] if name in peers.columns else None
                columns[f"reason_{i + 1}"].append(
                    render_reason(name, values.at[customer, name], peer, language, values.loc[customer])
                )
            else:
                columns[f"reason_{i + 1}"].append("")
        codes.append(";".join(names))
    out = pd.DataFrame(columns, index=contributions.index, dtype="str")
    out["reason_codes"] = pd.Series(codes, index=contributions.index, dtype="str")
    return out
