"""Interface layer: typer + rich. Parses, wires, prints, picks the exit code."""
