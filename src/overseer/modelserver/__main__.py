"""``python -m overseer.modelserver --port N``: serve the default script until interrupted, for manual runs."""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

from overseer.modelserver.script import Script
from overseer.modelserver.server import ScriptedModelServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m overseer.modelserver", description="Serve the scripted model on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--path", default="hello.txt", help="the file the default rule writes")
    parser.add_argument("--content", default="hello from the scripted model\n", help="what it writes there")
    parser.add_argument("--log", type=Path, default=None, help="JSONL request log (default: a file in a new temp directory)")
    args = parser.parse_args(argv)
    log = args.log if args.log is not None else Path(tempfile.mkdtemp(prefix="modelserver-")) / "requests.jsonl"
    server = ScriptedModelServer(Script(path=args.path, content=args.content), host=args.host, port=args.port, log_path=log)
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"scripted model server on {server.base_url}  (OpenAI base: {server.base_url}/v1; request log: {log})", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
