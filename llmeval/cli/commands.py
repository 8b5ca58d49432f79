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
    merge,
    prompts,
    run,
    runs,
    validate,
)
