"""Synthetic marketing-audit data with known truth: the ground every later figure is measured on.

``generate_tables`` builds the contract's raw tables and the truth behind them (pure, seeded);
``write_dataset`` writes them out; ``write_chunked_dataset`` generates and writes a large data
set chunk by chunk, bucket by bucket, with memory bounded by the chunk; ``truth_active`` says who
has a problem in a month.
"""

from .chunked import CHUNK_CUSTOMERS, ChunkedSummary, write_chunked_dataset
from .generate import generate_tables
from .orders import ORDER_PROBLEMS
from .problems import PROBLEMS
from .truth import truth_active
from .write import write_dataset

__all__ = [
    "CHUNK_CUSTOMERS",
    "ORDER_PROBLEMS",
    "PROBLEMS",
    "ChunkedSummary",
    "generate_tables",
    "truth_active",
    "write_chunked_dataset",
    "write_dataset",
]
