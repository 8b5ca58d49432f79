"""Application layer: plan -> generate -> score -> record. Never prints."""
