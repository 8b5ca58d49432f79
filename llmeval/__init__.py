"""llmeval: an evaluation and regression harness for LLM applications.

Kept import-light on purpose: ``llmeval --help`` must not pull in SDKs, pandas or
scikit-learn, so nothing heavy is imported here.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
