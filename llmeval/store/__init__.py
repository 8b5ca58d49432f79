"""Records <-> disk: run folders (journal + manifest) and committed baselines."""
