"""Every operation in the published OpenAPI document, fed inputs generated from its schema (schemathesis: values that
fit it and values that do not), in-process through the ASGI app with the bearer token: none may answer with a server
error.

Operations are read from ``/api/v1/openapi.json`` when the test runs, so routes added later are covered without editing
this file. Event streams are cut after a few events (schemathesis keeps what arrived). schemathesis' own pytest
``from_fixture`` loader does not work with pytest 9 (it reads ``Function._nodeid``), so the operations are walked here,
one Hypothesis run each.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.python import asgi

from overseer.api import ApiSettings, AppContext, Auth, create_app
from overseer.bootstrap import open_supervisor
from overseer.service import NewTask
from tests.api.conftest import TOKEN

Operation = APIOperation[Any, Any, Any, Any]
EXAMPLES = 10           # per operation: enough to reach each parameter's edges, few enough to stay well under a minute
STREAM_EVENTS = 3       # an event stream is cut after this many events ...
STREAM_SECONDS = 0.3    # ... or once it has been read this long
TIMEOUT_SECONDS = 10.0  # any other request must have answered by then
HEADERS = {"Authorization": f"Bearer {TOKEN}"}


PROVIDER_KEYS = ("ANTHROPIC_API_KEY", "GLM_API_KEY", "GLM_BASE_URL", "DEEPSEEK_API_KEY", "OPENROUTER_API_KEY", "OPENAI_API_KEY")


@pytest.fixture
def api_schema(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BaseSchema]:
    for key in PROVIDER_KEYS:  # POST /plans calls the planning model: without credentials it is refused before any network
        monkeypatch.delenv(key, raising=False)
    sup = open_supervisor(repo)
    sup.create_task(NewTask(title="held for the fuzzer", gates=("start",)), actor="test")  # so lists have a row to render
    auth = Auth(TOKEN)
    api_settings = ApiSettings(sse_heartbeat_seconds=0.2)
    app = create_app(sup, auth, api_settings, ctx=AppContext(sup, auth, api_settings))
    try:
        config = schemathesis.Config.from_dict({"max-stream-events": STREAM_EVENTS})
        yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", app, config=config)
    finally:
        asgi.shutdown_lifespans()  # schemathesis started the app's lifespan (the event broker): stop it before the store closes
        sup.close()


def streams(operation: Operation) -> bool:
    ok = operation.definition.raw.get("responses", {}).get("200", {})
    return operation.path.endswith("/stream") or "text/event-stream" in ok.get("content", {})


def fuzz(operation: Operation) -> None:
    timeout = STREAM_SECONDS if streams(operation) else TIMEOUT_SECONDS
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate])  # no shrinking: a failure is reported as found, at once
    def run(case: Case[Any]) -> None:
        case.call_and_validate(headers=HEADERS, checks=[not_a_server_error], timeout=timeout)

    run()


def test_no_operation_answers_with_a_server_error(api_schema: BaseSchema) -> None:
    failed: dict[str, BaseException] = {}
    seen: list[str] = []
    for result in api_schema.get_all_operations():
        if isinstance(result, Err):
            failed[f"unreadable operation {len(seen)}"] = result.err()
            continue
        operation = result.ok()
        seen.append(operation.label)
        try:
            fuzz(operation)
        except Exception as exc:  # collect every operation's failure, then report them all
            failed[operation.label] = exc
    assert {"GET /api/v1/runs/{run_id}/diff", "POST /api/v1/approvals/{task_id}/reject", "GET /metrics"} <= set(seen)
    assert not failed, "\n\n".join(f"{label}:\n{exc}" for label, exc in failed.items())
