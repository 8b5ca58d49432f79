"""The LLM judge: rubric, factuality and pairwise verdicts, and calibration against labels.

Importing this package is cheap; metrics register when ``llmeval.judge.metrics`` loads.
"""
