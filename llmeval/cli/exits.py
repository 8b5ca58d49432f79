"""Stable exit codes, modelled on pytest's. Documented in the README."""

OK = 0  # everything passed, no regression
GATE_FAILED = 1  # a regression or a threshold failed
INTERRUPTED = 2  # Ctrl-C / SIGTERM; resumable
INCOMPLETE = 3  # provider/infrastructure errors over budget, budget stop; resumable
USAGE = 4  # bad command line, config or security error; nothing was run
NOTHING = 5  # nothing selected
