"""Frozen data types shared by every layer. No I/O, no heavy imports."""
