"""Imports every command module so each registers itself on the app."""

from llmeval.cli import (  # noqa: F401
    baseline,
    batch,
    cache,
    diff,
    export,
    importer,
    init,
    judge,
    prompts,
    run,
    runs,
    validate,
)
