"""CLI command(s): ingest."""

from __future__ import annotations

from .app import app  # noqa: F401
