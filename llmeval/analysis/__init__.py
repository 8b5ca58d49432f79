"""Pure run-level logic: summaries, corpus metrics, statistics, diffs and the gate."""
