"""Importers: other tools' evaluation configs -> an llmeval project (``llmeval import``)."""
