"""Command-line interface (see shared/design/ARCHITECTURE.md for the contract)."""

from .app import app, main

__all__ = ["app", "main"]
