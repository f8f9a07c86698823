"""``overseer serve``: the API, the dashboard, the supervisor loop and the auditor in one process."""

from __future__ import annotations

from typing import Annotated

import typer

from overseer.api import ApiSettings, Auth, is_loopback, load_token
from overseer.cli.common import JsonFlag, RepoOpt, actor, emit_json, err, out, supervisor
from overseer.config import STATE_DIR
from overseer.server import ServeOptions, Server, run_loop


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to bind (not loopback: every call needs the token).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535, help="Port (0: any free one).")] = 8765,
    agents: Annotated[bool, typer.Option("--agents/--no-agents", help="Run the supervisor loop (dispatch ready work).")] = True,
    audit: Annotated[bool, typer.Option("--audit/--no-audit", help="Run the commit auditor (watch this repository).")] = True,
    mode: Annotated[str | None, typer.Option("--mode", help="Routing mode: frugal, balanced, performance or max.")] = None,
    max_parallel: Annotated[int | None, typer.Option("--max-parallel", "-j", min=1, help="Runs at a time.")] = None,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Serve the REST API (/api/v1, OpenAPI at /docs), the live dashboard and /metrics, with the supervisor loop and the
    commit auditor in the same process. Ctrl-C stops."""
    with supervisor(as_json, repo) as sup:
        token, generated = load_token(sup.root / STATE_DIR)
        auth = Auth(token, reads_need_token=not is_loopback(host))
        server = Server(sup, auth, ApiSettings(host=host, port=port),
                        ServeOptions(run_agents=agents, audit=audit, mode=mode, max_parallel=max_parallel, worker=f"{actor()}@serve"))

        def started(srv: Server) -> None:
            info = {"url": srv.url, "dashboard": f"{srv.url}/", "docs": f"{srv.url}/docs", "mcp": f"{srv.url}/mcp",
                    "login": f"{srv.url}/login?token={token}",
                    "token_file": None if not generated else str(sup.root / STATE_DIR / "api_token"), "agents": agents, "audit": audit}
            if as_json:
                emit_json(info)
                return
            out.print(f"[bold]Overseer[/] serving {sup.root}")
            out.print(f"  dashboard  {srv.url}/   (sign in once: {info['login']})")
            out.print(f"  API        {srv.url}/api/v1   OpenAPI {srv.url}/docs   metrics {srv.url}/metrics")
            out.print(f"  MCP        {srv.url}/mcp   (streamable HTTP, bearer token; or `overseer mcp` over stdio)")
            out.print(f"  agents {'on' if agents else 'off'}, auditor {'on' if audit else 'off'}; Ctrl-C stops")
            if generated:
                err.print(f"a new API token was written to {info['token_file']} (shown once): {token}")

        try:
            run_loop(server.run(on_started=started))
        except KeyboardInterrupt:
            pass
        except OSError as exc:
            err.print(f"[bold red]error:[/] cannot serve on {host}:{port}: {exc}")
            raise typer.Exit(1) from None
