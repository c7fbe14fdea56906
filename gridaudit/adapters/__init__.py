"""Adapters: public data sets in their own layouts -> gridaudit's raw tables (see the contract)."""

from ._contract_check import contract_problems
from .sgcc import SgccDuplicates, convert_sgcc, convert_sgcc_with_report
from .steg import convert_steg

__all__ = ["SgccDuplicates", "contract_problems", "convert_sgcc", "convert_sgcc_with_report", "convert_steg"]
