"""Direct model calls through LiteLLM: the transport (one call, no routing) and the price book (its bundled map).

Importing this package does not import LiteLLM (that takes seconds): the first call or price does.

    transport = LiteLLMTransport()
    reply = transport.complete(ModelTarget("cheap", "deepseek", "deepseek/deepseek-chat"), ModelCall(messages=[...]))
    LiteLLMPrices().cost("anthropic/claude-sonnet-4-5", reply.tokens_in, reply.tokens_out)
"""

from overseer.llm.prices import LiteLLMPrices, StaticPrices
from overseer.llm.transport import LiteLLMTransport, reset_from_headers

__all__ = ["LiteLLMPrices", "LiteLLMTransport", "StaticPrices", "reset_from_headers"]
