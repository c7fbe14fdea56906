"""Monthly scoring: score every customer, select under capacity, explain the selected, write the
inspection list, its report, and load the inspection results back."""

from .feedback import FeedbackError, FeedbackSummary, load_feedback, read_results
from .job import ScoringResult, score_month, score_warehouse
from .listing import LIST_COLUMNS, TITLES_ZH, expected_recovery, list_frame, risk_tier
from .reasons import format_value, peer_medians, render_reason, top_reasons
from .report import render_report, write_report
from .select import SelectionRules, exploration_rng, recently_inspected, select_targets

__all__ = [
    "LIST_COLUMNS",
    "TITLES_ZH",
    "FeedbackError",
    "FeedbackSummary",
    "ScoringResult",
    "SelectionRules",
    "expected_recovery",
    "exploration_rng",
    "format_value",
    "list_frame",
    "load_feedback",
    "peer_medians",
    "read_results",
    "recently_inspected",
    "render_reason",
    "render_report",
    "risk_tier",
    "score_month",
    "score_warehouse",
    "select_targets",
    "top_reasons",
    "write_report",
]
