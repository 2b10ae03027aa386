"""Adapters to LLM vendors behind one interface (`base.LLMClient`)."""
