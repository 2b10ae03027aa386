"""LLM clients behind one interface (`get_llm_client()`): Claude and Gemini adapters with
structured output validated by pydantic, a labelled offline heuristic client, the Redis rate
limit (requests and tokens per minute), retries honouring the provider's retry-after, and the
per-call usage and cost log (`AIUsage`, Decimal cost). Rules owned here: how a model is
called, paced, retried and costed; nothing about what the answer is used for."""
