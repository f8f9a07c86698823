from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path


def test_python_dash_m_serves_on_the_given_port_and_prints_its_url(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    argv = [sys.executable, "-m", "overseer.modelserver", "--port", "0", "--log", str(log), "--path", "notes.md", "--content", "# hi\n"]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().split()[4]
            body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "go"}]}).encode()
            request = urllib.request.Request(url + "/v1/chat/completions", data=body, method="POST")
            with urllib.request.urlopen(request, timeout=10) as response:
                reply = json.load(response)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    assert url.startswith("http://127.0.0.1:")
    assert reply["choices"][0]["message"]["content"] == "notes.md\n```\n# hi\n```\n"
    assert json.loads(log.read_text().splitlines()[0])["path"] == "/v1/chat/completions"
