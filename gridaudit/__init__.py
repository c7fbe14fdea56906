"""gridaudit: whom the marketing-audit team should inspect this month, and why."""

__version__ = "0.1.0"
