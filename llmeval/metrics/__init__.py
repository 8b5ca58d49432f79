"""Per-case scoring: a table of small metric factories (see registry)."""
