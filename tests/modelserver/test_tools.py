from __future__ import annotations

import subprocess
from pathlib import Path

from overseer.modelserver import Text, Tool, ToolCall, Turn, WriteFile
from overseer.modelserver.tools import resolve, shell_write_command, working_directory

TRICKY = 'it\'s "quoted" $HOME `x` \\ and\nlines\n'


def turn(*tools: Tool, context: str = "") -> Turn:
    return Turn(api="t", model="m", tools=tools, context=context)


def test_the_shell_write_command_writes_tricky_content_byte_for_byte(tmp_path: Path) -> None:
    subprocess.run(["bash", "-c", shell_write_command("deep/dir/out.txt", TRICKY)], cwd=tmp_path, check=True, timeout=10)
    assert (tmp_path / "deep/dir/out.txt").read_text() == TRICKY


def test_the_working_directory_is_found_in_each_harness_prompt_style() -> None:
    assert working_directory("<env>\nWorking directory: /a/b\nPlatform: linux") == "/a/b"
    assert working_directory("<environment_context>\n  <cwd>/c/d</cwd>") == "/c/d"
    assert working_directory("I'm currently working in the directory: /e/f.") == "/e/f"
    assert working_directory("- **Workspace Directories:**\n  - /g/h\n- **Directory Structure:**") == "/g/h"
    assert working_directory("no directory here") is None


def test_a_relative_path_stays_relative_when_no_working_directory_is_stated() -> None:
    call = resolve(WriteFile("x.txt", "x"), turn(Tool("Write")))
    assert call == ToolCall("Write", {"file_path": "x.txt", "content": "x"})


def test_an_absolute_path_is_kept_as_is() -> None:
    call = resolve(WriteFile("/abs/x.txt", "x"), turn(Tool("write_file"), context="Working directory: /elsewhere"))
    assert call == ToolCall("write_file", {"file_path": "/abs/x.txt", "content": "x"})


def test_a_named_write_tool_wins_over_a_shell_tool() -> None:
    call = resolve(WriteFile("x.txt", "x"), turn(Tool("exec_command"), Tool("write")))
    assert call == ToolCall("write", {"filePath": "x.txt", "content": "x"})


def test_write_stdin_is_not_mistaken_for_a_file_writing_tool() -> None:
    stdin = Tool("write_stdin", {"properties": {"session_id": {}, "chars": {}}})
    assert resolve(WriteFile("x.txt", "x"), turn(stdin)) == Text("x.txt\n```\nx\n```\n")
