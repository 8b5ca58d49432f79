"""The LLM service layer: the only code that imports openai, anthropic or diskcache."""
