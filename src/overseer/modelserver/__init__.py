"""A scripted model server for tests: real agent CLIs talk to it instead of a network LLM.

One stdlib HTTP server on 127.0.0.1 speaks the Anthropic Messages, OpenAI Chat Completions, OpenAI Responses
and Gemini APIs. A ``Script`` decides every reply (a queue of replies keyed on the last user message, over a
default rule that writes one file through whatever write tool the harness offers); every request is logged.

    from overseer.modelserver import HttpError, Script, ScriptedModelServer

    script = Script(path="hello.txt", content="hello\\n").add(HttpError.rate_limited(30), when="please fail")
    with ScriptedModelServer(script, log_path="requests.jsonl") as srv:
        ...  # point the harness at srv.base_url (Anthropic, Gemini) or srv.base_url + "/v1" (OpenAI)
"""

from overseer.modelserver.script import HttpError, Reply, Script, Text, Tool, ToolCall, Turn, WriteFile, whole_file
from overseer.modelserver.server import LoggedRequest, ScriptedModelServer

__all__ = [
    "HttpError",
    "LoggedRequest",
    "Reply",
    "Script",
    "ScriptedModelServer",
    "Text",
    "Tool",
    "ToolCall",
    "Turn",
    "WriteFile",
    "whole_file",
]
