"""The API over a real project: a git repository, ``overseer init``'s SQLite store, the app with a known token.

``api.client`` is a Starlette ``TestClient`` (httpx underneath) with the lifespan running (the event broker polls);
``api.auth`` holds the bearer header. Tests that need a real socket (SSE timing, the browser) start ``Server`` instead.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from overseer.api import ApiSettings, AppContext, Auth, create_app
from overseer.bootstrap import init_project, open_supervisor
from overseer.service import Supervisor

TOKEN = "test-token-0123456789"


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    run = lambda *a: subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", *a], cwd=path, check=True,  # noqa: E731
                                    capture_output=True)
    run("init", "-q", "-b", "main")
    (path / "README.md").write_text("# sample\n")
    run("add", "-A")
    run("commit", "-qm", "initial")
    init_project(path)
    run("add", "-A")
    run("commit", "-qm", "overseer init")
    return path


@dataclass
class Api:
    client: TestClient
    sup: Supervisor
    ctx: AppContext
    root: Path
    token: str = TOKEN

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


@pytest.fixture
def api(repo: Path) -> Iterator[Api]:
    sup = open_supervisor(repo)
    auth = Auth(TOKEN)
    ctx = AppContext(sup, auth, ApiSettings(sse_heartbeat_seconds=1.0))
    app = create_app(sup, auth, ctx.settings, ctx=ctx)
    try:
        with TestClient(app) as client:
            yield Api(client, sup, ctx, repo)
    finally:
        sup.close()
