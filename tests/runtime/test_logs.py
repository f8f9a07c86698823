"""BoundedLog: head as written, a marker, the tail; secrets masked; bytes kept as they came."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from overseer.domain.runs import TextEvent, ToolUse
from overseer.runtime.logs import BoundedLog, Masker, mask


def test_a_log_under_its_cap_is_written_whole_without_a_marker(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "run.log"
    with BoundedLog(path, 1_000) as log:
        for i in range(50):
            log.write_line(f"line {i}")
    expected = "".join(f"line {i}\n" for i in range(50)).encode()
    assert path.read_bytes() == expected and b"omitted" not in expected


def test_a_log_over_its_cap_keeps_head_and_tail_around_a_marker_counting_what_is_left_out(tmp_path: Path) -> None:
    path = tmp_path / "run.log"
    data = b"".join(b"%06d\n" % i for i in range(10_000))  # 70,000 bytes
    with BoundedLog(path, 1_000) as log:
        for start in range(0, len(data), 7):
            log.write(data[start:start + 7])
        assert log.bytes_received == len(data)
    written = path.read_bytes()
    assert len(written) <= 1_000
    found = re.fullmatch(rb"(.*)\n\[\xe2\x80\xa6 (\d+) bytes omitted \xe2\x80\xa6\]\n(.*)", written, re.DOTALL)
    assert found is not None
    head, omitted, tail = found.group(1), int(found.group(2)), found.group(3)
    assert len(head) == 500 and data.startswith(head)
    assert len(tail) > 400 and data.endswith(tail)
    assert len(head) + omitted + len(tail) == len(data)


def test_the_live_tail_shows_the_last_bytes_written(tmp_path: Path) -> None:
    with BoundedLog(tmp_path / "run.log", 1_000) as log:
        log.write(b"a" * 5_000 + b"END")
        assert log.tail(5) == b"aaEND"
        assert len(log.tail(10_000)) < 1_000


def test_secrets_are_masked_before_anything_reaches_the_disk(tmp_path: Path) -> None:
    path = tmp_path / "run.log"
    with BoundedLog(path, 10_000, secrets=["hunter2-secret", "abc"]) as log:
        log.write_line("password=hunter2-secret and abc stays (too short to be a secret)")
        assert log.mask("echo hunter2-secret") == "echo ***"
        assert log.tail(100).count(b"***") == 1
    assert path.read_bytes() == b"password=*** and abc stays (too short to be a secret)\n"


def test_bytes_that_are_not_utf8_are_written_as_received(tmp_path: Path) -> None:
    path = tmp_path / "run.log"
    with BoundedLog(path, 10_000, secrets=["s3cr3t-value"]) as log:
        log.write(b"\xff\xfe\x00 s3cr3t-value \xc3\x28\n")
    assert path.read_bytes() == b"\xff\xfe\x00 *** \xc3\x28\n"


def test_masking_reaches_into_event_payloads() -> None:
    masker = Masker(["tok-1234567"])
    assert masker.event(TextEvent("the token is tok-1234567")) == TextEvent("the token is ***")
    tool = ToolUse(name="Bash", input={"command": "curl -H tok-1234567", "args": ["tok-1234567", 3]})
    assert masker.event(tool).input == {"command": "curl -H ***", "args": ["***", 3]}
    untouched = TextEvent("nothing here")
    assert masker.event(untouched) is untouched
    assert mask("a tok-1234567 b", ["tok-1234567"]) == "a *** b"


def test_a_closed_log_refuses_more_writes(tmp_path: Path) -> None:
    log = BoundedLog(tmp_path / "run.log", 1_000)
    log.close()
    log.close()
    with pytest.raises(ValueError, match="closed"):
        log.write(b"late")
