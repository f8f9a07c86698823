"""aider (``aider``, PyPI ``aider-chat``): ``aider --message=PROMPT --yes-always …``, one message, then exit.

aider prints plain text, so every line is a ``TextEvent(role="raw")``; these lines mean more:
``Model: M with F edit format`` (started), ``Tokens: 1.2k sent, 16 received. Cost: $0.01 message, $0.02 session.``
(usage and cost), ``Applied edit to PATH`` (a tool use), ``litellm.XxxError: …`` (an error; a rate limit when
it says so; forgiven when aider then prints ``Retrying in N seconds...``). aider exits 0 even after an API
error, so the result is a success only with exit code 0 and no unforgiven error.

Options: ``base_url`` (else ``OPENAI_API_BASE``/``OPENAI_BASE_URL`` of the profile's env; the model then gets
the ``openai/`` prefix LiteLLM needs unless it names a provider), ``edit_format`` (``whole``, ``diff``…),
``env_key`` (the credential, default ``OPENAI_API_KEY``). Histories go to the run's home, not the worktree;
aider neither commits nor edits ``.gitignore``. aider has no turn limit; ``max_turns`` is ignored.
"""

from __future__ import annotations

import json
import re
from typing import Any

from overseer.agents.common import LineParser, OpenAICompatible, error_event, merged_options, option_str
from overseer.domain.runs import AgentEvent, Cost, Result, Started, TextEvent, ToolUse, Usage
from overseer.ports import Invocation, RunSpec

__all__ = ["Aider", "AiderParser"]

QUIET_FLAGS = (
    "--yes-always",
    "--no-check-update",
    "--no-show-release-notes",
    "--analytics-disable",
    "--no-pretty",
    "--no-fancy-input",
    "--no-show-model-warnings",
    "--no-detect-urls",
    "--no-suggest-shell-commands",
    "--no-auto-commits",
    "--no-dirty-commits",
    "--no-gitignore",
)
# aider fetches LiteLLM's price list from the internet unless its cache file is fresh; a non-empty one will do
PRICE_CACHE = {
    "overseer-placeholder": {"note": "written by Overseer so aider does not fetch the price list; LiteLLM's bundled map is used"}
}

_MODEL = re.compile(r"^(?:Main model|Model): (\S+)")
_TOKENS = re.compile(r"^Tokens: ([\d.,]+[kKmM]?) sent(?:, ([\d.,]+[kKmM]?) cache \w+)*(?:, ([\d.,]+[kKmM]?) received)?")
_COST = re.compile(r"Cost: \$([\d.]+) message, \$([\d.]+) session")
_APPLIED = re.compile(r"^Applied edit to (.+)$")
_ERROR = re.compile(r"^litellm\.[A-Za-z]+(?:Error|Exception)\b")
_RETRYING = re.compile(r"^Retrying in [\d.]+ seconds")


class Aider(OpenAICompatible):
    name = "aider"
    binary = "aider"
    #: Files aider leaves in the work tree that are never part of the change (it cannot be told to put them elsewhere).
    scratch_paths = (".aider.tags.cache.v4", ".aider.chat.history.md", ".aider.input.history")

    def build(self, spec: RunSpec) -> Invocation:
        options = merged_options(self.options, spec)
        home = spec.home
        argv = [self.binary, f"--message={spec.prompt}", *QUIET_FLAGS]
        argv += [f"--input-history-file={home / '.aider.input.history'}", f"--chat-history-file={home / '.aider.chat.history.md'}"]
        url = self.base_url(spec, "OPENAI_API_BASE", "OPENAI_BASE_URL")
        if url:
            argv.append(f"--openai-api-base={url}")
        if spec.model:
            model = spec.model if "/" in spec.model or not url else f"openai/{spec.model}"
            argv.append(f"--model={model}")
        if edit_format := option_str(options, "edit_format"):
            argv.append(f"--edit-format={edit_format}")
        argv += list(spec.args)
        env = {"HOME": str(home), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
        files = {home / ".aider" / "caches" / "model_prices_and_context_window.json": json.dumps(PRICE_CACHE)}
        return Invocation(argv=tuple(argv), env={**env, **spec.env}, files=files)

    def parser(self) -> AiderParser:
        return AiderParser()


def _count(text: str | None) -> int:
    if not text:
        return 0
    number = text.replace(",", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(number[-1].lower(), 1)
    return round(float(number.rstrip("kKmM")) * scale)


class AiderParser(LineParser):
    harness = "aider"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tokens = [0, 0]
        self._cost: float | None = None
        self._error: str | None = None
        self._started = False

    def parse(self, text: str) -> list[AgentEvent]:
        line = text.strip()
        events: list[AgentEvent] = [TextEvent(text, role="raw")]
        if (model := _MODEL.match(line)) and not self._started:
            self._started = True
            events.append(Started(model=model.group(1)))
        elif tokens := _TOKENS.match(line):
            sent, received = _count(tokens.group(1)), _count(tokens.group(3))
            self._tokens = [self._tokens[0] + sent, self._tokens[1] + received]
            events.append(Usage(sent, received))
            if cost := _COST.search(line):
                self._cost = float(cost.group(2))
                events.append(Cost(self._cost))
        elif applied := _APPLIED.match(line):
            events.append(ToolUse("apply_edit", {"path": applied.group(1)}))
        elif _RETRYING.match(line):
            self._error = None  # the error before it was transient
        elif _ERROR.match(line):
            self._error = line
            events.append(error_event(line, None, self.clock))
        return events

    def close(self, exit_code: int | None) -> list[AgentEvent]:
        success = exit_code == 0 and self._error is None
        text = "" if success else self._error or self.missing_result(exit_code)
        return [Result(success=success, text=text, tokens_in=self._tokens[0], tokens_out=self._tokens[1], cost_usd=self._cost)]
