"""The dashboard over a real project (git repository, SQLite store): ``web`` is the whole app (API and dashboard, as
``overseer serve`` builds it) behind a Starlette ``TestClient``; ``signed_in`` is the same client after ``/login``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from overseer.api import ApiSettings, AppContext, Auth
from overseer.api.auth import COOKIE
from overseer.bootstrap import open_supervisor
from overseer.server import build_app
from tests.api.conftest import make_repo

TOKEN = "web-test-token-0123456789"


@dataclass
class Web:
    client: TestClient
    ctx: AppContext

    @property
    def root(self) -> Path:
        return self.ctx.root

    @property
    def csrf(self) -> str:
        return self.ctx.auth.csrf

    def sign_in(self) -> None:
        r = self.client.get("/login", params={"token": TOKEN}, follow_redirects=False)
        assert r.status_code == 303 and COOKIE in r.cookies


@pytest.fixture
def web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Web]:
    monkeypatch.delenv("OVERSEER_DATABASE_URL", raising=False)
    root = make_repo(tmp_path / "repo")
    sup = open_supervisor(root)
    ctx = AppContext(sup, Auth(TOKEN), ApiSettings(sse_heartbeat_seconds=1.0))
    try:
        with TestClient(build_app(ctx)) as client:
            yield Web(client, ctx)
    finally:
        sup.close()
