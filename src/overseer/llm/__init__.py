"""Direct model calls through LiteLLM: the transport (one call, no routing) and the price book (its bundled map)."""
