"""The two passes of the customer build, and how a family hands a group statistic to the second.

Pass 1 runs every family over one set of customers (the whole company, or one bucket of it).
Some features compare a customer with a group: the median residential profile, the area's summed
consumption drop, the peer-group medians. Computed inside one bucket those would describe the
bucket, not the company. So, when the builder runs pass 2 itself (``ctx.group_pass``), a family
returns the feature as a placeholder column (NaN, which keeps the column's position) plus the
per-customer inputs of the statistic in columns named by ``group_input``. Pass 2 then runs once
over the frame of all customers, in the company's customer order, fills the placeholders and drops
the inputs. A whole-table build goes through the same two passes, so both give the same values.

An input is usually one number per customer. When the statistic needs the company's whole
distribution (the status code most bills carry, the median billing period: ``bills.py``), the
input column holds one small array per customer (object dtype) that pass 2 lays end to end.
"""

from __future__ import annotations

GROUP_INPUT_PREFIX = "_group_input__"


def group_input(name: str) -> str:
    """Column name of a per-customer input that pass 2 consumes (never reaches the feature frame)."""
    return f"{GROUP_INPUT_PREFIX}{name}"


def is_group_input(column: object) -> bool:
    return isinstance(column, str) and column.startswith(GROUP_INPUT_PREFIX)
