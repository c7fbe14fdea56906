"""Synthetic marketing-audit data with known truth: the ground every later figure is measured on.

``generate_tables`` builds the contract's raw tables and the truth behind them (pure, seeded);
``write_dataset`` writes them out; ``truth_active`` says who has a problem in a month.
"""

from .generate import generate_tables
from .orders import ORDER_PROBLEMS
from .problems import PROBLEMS
from .truth import truth_active
from .write import write_dataset

__all__ = ["ORDER_PROBLEMS", "PROBLEMS", "generate_tables", "truth_active", "write_dataset"]
