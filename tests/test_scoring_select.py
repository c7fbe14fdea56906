"""Selection: capacity, ties, per-area quotas, cool-down and exploration picks."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridaudit.scoring.select import SelectionRules, exploration_rng, recently_inspected, select_targets


def scored_frame() -> pd.DataFrame:
    # B and A tie at 0.8: A must come first (customer_id breaks ties)
    return pd.DataFrame(
        {
            "customer_id": ["T", "B", "A", "D", "E", "F", "G", "H", "I", "J"],
            "area_id": ["X", "X", "X", "Y", "Y", "Y", "Z", "Z", "Z", "Z"],
            "score": [0.9, 0.8, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1],
        }
    )


def test_capacity_only_takes_the_highest_scores_and_breaks_ties_by_id():
    picked = select_targets(scored_frame(), SelectionRules(capacity=4, exploration_share=0.0))
    assert picked["customer_id"].tolist() == ["T", "A", "B", "D"]
    assert picked["rank"].tolist() == [1, 2, 3, 4]
    assert (picked["selection"] == "model").all()
    assert (picked["inclusion_probability"] == 1.0).all()


def test_shuffled_input_gives_the_same_list():
    shuffled = scored_frame().sample(frac=1.0, random_state=1)
    rules = SelectionRules(capacity=4, exploration_share=0.25)
    a = select_targets(scored_frame(), rules, rng=exploration_rng(7, "2026-01"))
    b = select_targets(shuffled, rules, rng=exploration_rng(7, "2026-01"))
    pd.testing.assert_frame_equal(a, b)


def test_exploration_slots_and_inclusion_probability():
    # capacity 4 x 25% = 1 exploration slot; 3 model picks; pool = the 7 others -> p = 1/7
    rules = SelectionRules(capacity=4, exploration_share=0.25)
    picked = select_targets(scored_frame(), rules, rng=exploration_rng(7, "2026-01"))
    model = picked.loc[picked["selection"] == "model"]
    explore = picked.loc[picked["selection"] == "exploration"]
    assert model["customer_id"].tolist() == ["T", "A", "B"]
    assert len(explore) == 1
    assert explore["customer_id"].iloc[0] in {"D", "E", "F", "G", "H", "I", "J"}
    assert explore["inclusion_probability"].iloc[0] == pytest.approx(1 / 7)
    assert picked["rank"].tolist() == [1, 2, 3, 4]
    assert picked["score"].is_monotonic_decreasing


@pytest.mark.parametrize(
    ("capacity", "share", "slots"), [(100, 0.05, 5), (10, 0.05, 0), (10, 0.1, 1), (3, 1.0, 3), (0, 0.5, 0)]
)
def test_exploration_slot_count(capacity, share, slots):
    assert SelectionRules(capacity=capacity, exploration_share=share).exploration_slots == slots


def test_area_quota_caps_model_picks_in_that_area():
    rules = SelectionRules(capacity=4, exploration_share=0.0, area_quotas={"X": 1})
    picked = select_targets(scored_frame(), rules)
    assert picked["customer_id"].tolist() == ["T", "D", "E", "F"]


def test_cooldown_skips_recent_targets_unless_in_the_top_share():
    # T (top 10% of 10 rows = 1 row) stays despite the cool-down; A is skipped
    rules = SelectionRules(capacity=3, exploration_share=0.0, cooldown_exempt_top_share=0.1)
    picked = select_targets(scored_frame(), rules, cooled=pd.Index(["T", "A"]))
    assert picked["customer_id"].tolist() == ["T", "B", "D"]


def test_cooldown_customers_are_never_exploration_picks():
    rules = SelectionRules(capacity=10, exploration_share=0.5, cooldown_exempt_top_share=0.0)
    cooled = pd.Index(["H", "I", "J"])
    picked = select_targets(scored_frame(), rules, cooled=cooled, rng=exploration_rng(1, "2026-02"))
    assert not picked["customer_id"].isin(cooled).any()
    # 5 model picks, pool = 7 eligible - 5 = 2 < 5 slots: all of the pool, probability 1
    assert len(picked) == 7
    assert picked.loc[picked["selection"] == "exploration", "inclusion_probability"].eq(1.0).all()


def test_recently_inspected_uses_the_cooldown_window_and_customer_targets_only():
    inspections = pd.DataFrame(
        {
            "target_type": ["customer", "customer", "customer", "work_order", "customer"],
            "target_id": ["C1", "C2", "C3", "C4", "C5"],
            # as of 2025-12 with 3 months: 2025-10-01 .. 2025-12-31
            "date": pd.to_datetime(["2025-10-01", "2025-09-30", "2025-12-31", "2025-11-01", "2026-01-02"]),
        }
    )
    assert recently_inspected(inspections, "2025-12", 3).tolist() == ["C1", "C3"]
    assert recently_inspected(inspections, "2025-12", 0).tolist() == []
    assert recently_inspected(None, "2025-12", 3).tolist() == []


def test_exploration_draw_is_reproducible_and_depends_on_the_month():
    rng = np.random.default_rng(0)
    scored = pd.DataFrame(
        {
            "customer_id": [f"C{i:04d}" for i in range(1000)],
            "area_id": "X",
            "score": rng.random(1000),
        }
    )
    rules = SelectionRules(capacity=100, exploration_share=0.5)

    def explored(seed, month):
        picked = select_targets(scored, rules, rng=exploration_rng(seed, month))
        return set(picked.loc[picked["selection"] == "exploration", "customer_id"])

    assert explored(7, "2026-01") == explored(7, "2026-01")
    assert explored(7, "2026-01") != explored(7, "2026-02")
    assert explored(7, "2026-01") != explored(8, "2026-01")
    assert len(explored(7, "2026-01")) == 50


def test_exploration_is_uniform_over_the_pool():
    # 1 model pick (T), 2 slots over a pool of 9: each member drawn with probability 2/9
    rules = SelectionRules(capacity=3, exploration_share=0.67)
    counts = pd.Series(0, index=list("BADEFGHIJ"))
    runs = 150
    for seed in range(runs):
        picked = select_targets(scored_frame(), rules, rng=np.random.default_rng(seed))
        counts[picked.loc[picked["selection"] == "exploration", "customer_id"]] += 1
    probabilities = picked.loc[picked["selection"] == "exploration", "inclusion_probability"].tolist()
    assert probabilities == pytest.approx([2 / 9, 2 / 9])
    frequencies = counts / runs
    assert np.allclose(frequencies, 2 / 9, atol=0.1)  # 3 standard errors


def test_capacity_above_the_population_lists_everyone_eligible_once():
    rules = SelectionRules(capacity=50, exploration_share=0.05)  # 2 slots, but no pool is left
    picked = select_targets(scored_frame(), rules, rng=exploration_rng(7, "2026-01"))
    assert len(picked) == 10
    assert picked["customer_id"].is_unique
    assert (picked["selection"] == "model").all()


@settings(max_examples=40, deadline=None)
@given(
    scores=st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=40),
    capacity=st.integers(0, 50),
    share=st.sampled_from([0.0, 0.1, 0.5]),
    cooled_every=st.integers(2, 7),
)
def test_selection_properties(scores, capacity, share, cooled_every):
    scored = pd.DataFrame(
        {
            "customer_id": [f"C{i:02d}" for i in range(len(scores))],
            "area_id": [f"A{i % 3}" for i in range(len(scores))],
            "score": scores,
        }
    )
    cooled = pd.Index(scored["customer_id"][::cooled_every])
    rules = SelectionRules(capacity=capacity, exploration_share=share, cooldown_exempt_top_share=0.0)
    picked = select_targets(scored, rules, cooled=cooled, rng=exploration_rng(7, "2026-01"))
    eligible = scored.loc[~scored["customer_id"].isin(cooled)]
    assert len(picked) == min(capacity, len(eligible))
    assert picked["customer_id"].is_unique
    assert not picked["customer_id"].isin(cooled).any()
    # the model picks are the best eligible scores
    model = picked.loc[picked["selection"] == "model"]
    if len(model):
        best_left = eligible.loc[~eligible["customer_id"].isin(model["customer_id"]), "score"]
        assert best_left.empty or model["score"].min() >= best_left.max()
    assert picked["inclusion_probability"].between(0, 1, inclusive="right").all()
    assert picked["rank"].tolist() == list(range(1, len(picked) + 1))


def test_excluded_customers_are_never_listed_even_at_the_top():
    # T has the top score, so a cool-down alone would not hold it back (top 10% of 10 = 1 row)
    rules = SelectionRules(capacity=3, exploration_share=0.0, cooldown_exempt_top_share=0.1)
    cooled = pd.Index(["T"])
    assert select_targets(scored_frame(), rules, cooled)["customer_id"].tolist() == ["T", "A", "B"]
    picked = select_targets(scored_frame(), rules, cooled, excluded=pd.Index(["T", "B"]))
    assert picked["customer_id"].tolist() == ["A", "D", "E"]
