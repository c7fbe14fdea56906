"""Imports every command module so that its commands attach to the app."""

from . import (  # noqa: F401
    cmd_convert,
    cmd_demo,
    cmd_features,
    cmd_ingest,
    cmd_score,
    cmd_synth,
    cmd_train,
)
