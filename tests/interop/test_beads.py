"""Beads JSONL import and export, on hand-made records and on a real 2,307-issue export."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from overseer.domain import Budget, Complexity, Dependency, ImportFormatError, Task, TaskStatus, WorkType, is_work_kind
from overseer.domain.transitions import apply_status
from overseer.interop import BeadsBatch, dump_beads, parse_beads, read_beads_file, write_beads_file
from overseer.ports import TaskQuery
from overseer.store.memory import InMemoryStore
from overseer.store.sql.store import SqlStore

SAMPLE = Path(os.environ.get("OVERSEER_BEADS_SAMPLE", Path(__file__).resolve().parents[1] / "data" / "beads-issues.jsonl"))
T0 = "2025-11-02T21:58:07.295058-08:00"


def issue(issue_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": issue_id, "title": f"issue {issue_id}", "status": "open", "priority": 2, "issue_type": "task",
            "created_at": T0, "updated_at": T0, **fields}


def dep(issue_id: str, target: str, dep_type: str = "blocks") -> dict[str, Any]:
    return {"issue_id": issue_id, "depends_on_id": target, "type": dep_type, "created_at": T0, "created_by": "stevey"}


def lines_of(*records: dict[str, Any] | str) -> list[str]:
    return [r if isinstance(r, str) else json.dumps(r) for r in records]


def one(record: dict[str, Any]) -> Task:
    return parse_beads(lines_of(record)).tasks[0]


def exported(task: Task, deps: tuple[Dependency, ...] = ()) -> dict[str, Any]:
    [line] = dump_beads([task], deps)
    record: dict[str, Any] = json.loads(line)
    return record


@pytest.fixture(scope="module")
def sample_lines() -> list[str]:
    return SAMPLE.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def sample(sample_lines: list[str]) -> BeadsBatch:
    return parse_beads(sample_lines, str(SAMPLE))


# -- the lossless round trip ------------------------------------------------------------------------
def test_export_after_import_reproduces_every_sample_record(sample_lines: list[str], sample: BeadsBatch) -> None:
    out = list(dump_beads(sample.tasks, sample.deps))
    assert len(sample.tasks) == len(sample_lines) == 2307
    assert [json.loads(line) for line in out] == [json.loads(line) for line in sample_lines]
    assert out == sample_lines


def test_the_sample_comes_back_byte_for_byte_after_a_stay_in_sqlite(
    tmp_path: Path, sample_lines: list[str], sample: BeadsBatch
) -> None:
    store = SqlStore.from_url(f"sqlite:///{tmp_path}/o.db")
    store.import_graph(sample.tasks, sample.deps, actor="test")
    tasks = sorted(store.list_tasks(TaskQuery(include_deleted=True)), key=lambda t: t.id)
    write_beads_file(tmp_path / "issues.jsonl", tasks, store.dependencies())
    store.close()
    assert (tmp_path / "issues.jsonl").read_text(encoding="utf-8").splitlines() == sample_lines


def test_timestamps_keep_their_nanoseconds_until_the_time_changes() -> None:
    task = one(issue("bd-1", created_at="2025-12-07T16:48:32.082776345-07:00", updated_at="2025-12-07T23:48:32.082776999Z"))
    assert task.created_at == datetime(2025, 12, 7, 23, 48, 32, 82776, tzinfo=UTC)
    record = exported(task)
    assert record["created_at"] == "2025-12-07T16:48:32.082776345-07:00"
    assert record["updated_at"] == "2025-12-07T23:48:32.082776999Z"
    later = task.evolve(updated_at=datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC))
    assert exported(later)["updated_at"] == "2026-01-02T03:04:05.6Z"


def test_a_task_made_in_overseer_exports_as_a_plain_beads_record() -> None:
    made = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    task = Task(id="ov-a1", title="Write docs", kind="feature", priority=1, status=TaskStatus.DONE, labels=("docs",),
                created_at=made, updated_at=made + timedelta(seconds=1.5), closed_at=made + timedelta(seconds=1.5))
    blocker = Dependency("ov-a1", "ov-b2", "blocks", made, "lead")
    assert exported(task, (blocker,)) == {
        "id": "ov-a1", "title": "Write docs", "status": "closed", "priority": 1, "issue_type": "feature",
        "created_at": "2030-01-01T09:00:00Z", "updated_at": "2030-01-01T09:00:01.5Z", "closed_at": "2030-01-01T09:00:01.5Z",
        "labels": ["docs"],
        "dependencies": [{"issue_id": "ov-a1", "depends_on_id": "ov-b2", "type": "blocks",
                          "created_at": "2030-01-01T09:00:00Z", "created_by": "lead"}],
    }


def test_overseer_only_fields_survive_export_and_import() -> None:
    task = Task(id="ov-x", title="Refactor", body="split the module", status=TaskStatus.FAILED, work_type=WorkType.REVIEW,
                complexity=Complexity.COMPLEX, acceptance=("tests pass",), file_hints=("src/a.py",),
                budget=Budget(max_attempts=5, max_cost_usd=2.5), hold="waiting on design", profile="careful",
                attempts=2, extra={"origin": {"ticket": 7}}, created_at=datetime(2030, 1, 1, tzinfo=UTC),
                updated_at=datetime(2030, 1, 2, tzinfo=UTC))
    edge = Dependency("ov-x", "ov-y", "waits-for", datetime(2030, 1, 1, tzinfo=UTC), None, {"why": "api"})
    back = parse_beads(dump_beads([task], [edge]))
    [again], [edge_again] = back.tasks, back.deps
    assert exported(task)["status"] == "blocked"
    for name in ("title", "body", "status", "work_type", "complexity", "acceptance", "file_hints", "budget", "hold",
                 "profile", "attempts", "created_at", "updated_at", "closed_at"):
        assert getattr(again, name) == getattr(task, name), name
    assert again.extra["origin"] == {"ticket": 7}
    assert (edge_again.key, edge_again.created_at, edge_again.created_by, edge_again.extra["why"]) == (
        edge.key, edge.created_at, None, "api")


# -- statuses ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("beads_status", "status"),
    [("open", TaskStatus.OPEN), ("in_progress", TaskStatus.CLAIMED), ("closed", TaskStatus.DONE),
     ("tombstone", TaskStatus.DELETED), ("hooked", TaskStatus.ON_HOLD), ("blocked", TaskStatus.ON_HOLD),
     ("pinned", TaskStatus.ON_HOLD), ("deferred", TaskStatus.ON_HOLD)],
)
def test_each_beads_status_maps_to_an_overseer_status_and_exports_back_unchanged(beads_status: str, status: TaskStatus) -> None:
    task = one(issue("bd-1", status=beads_status))
    assert task.status == status
    assert exported(task)["status"] == beads_status


def test_a_status_changed_in_overseer_exports_the_natural_beads_status() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    hooked = one(issue("bd-1", status="hooked"))
    assert exported(apply_status(hooked, TaskStatus.OPEN, now))["status"] == "open"
    working = one(issue("bd-2", status="in_progress", assignee="beads/crew/giles"))
    assert exported(apply_status(working, TaskStatus.DONE, now))["status"] == "closed"
    cancelled = apply_status(one(issue("bd-3")), TaskStatus.CANCELLED, now)
    record = exported(cancelled)
    assert (record["status"], record["overseer"]["status"]) == ("closed", "cancelled")
    assert one(record).status == TaskStatus.CANCELLED


def test_an_in_progress_issue_is_claimed_by_its_assignee_without_a_lease_so_it_is_not_ready() -> None:
    batch = parse_beads(lines_of(issue("bd-1", status="in_progress", assignee="beads/crew/giles"),
                                 issue("bd-2", status="in_progress")))
    assert [(t.status, t.claimed_by, t.lease_expires_at) for t in batch.tasks] == [
        (TaskStatus.CLAIMED, "beads/crew/giles", None), (TaskStatus.CLAIMED, "beads", None)]
    store = InMemoryStore()
    store.import_graph(batch.tasks, batch.deps, actor="test")
    assert store.ready() == []
    assert [exported(t).get("assignee") for t in batch.tasks] == ["beads/crew/giles", None]


# -- dependencies -----------------------------------------------------------------------------------
def test_unknown_dependency_types_are_kept_and_do_not_gate(tmp_path: Path) -> None:
    batch = parse_beads(lines_of(
        issue("bd-1", dependencies=[dep("bd-1", "bd-2", "supersedes"), dep("bd-1", "bd-2", "waits-for")]),
        issue("bd-2", dependencies=[dep("bd-2", "bd-3", "blocks")]),
        issue("bd-3"),
    ))
    assert sorted(d.type for d in batch.deps) == ["blocks", "supersedes", "waits-for"]
    memory, sql = InMemoryStore(), SqlStore.from_url(f"sqlite:///{tmp_path}/o.db")
    for store in (memory, sql):
        store.import_graph(batch.tasks, batch.deps, actor="test")
        assert [t.id for t in store.ready()] == ["bd-1", "bd-3"]
    assert [d["type"] for d in exported(batch.tasks[0], batch.deps)["dependencies"]] == ["supersedes", "waits-for"]
    sql.close()


# -- refusals ---------------------------------------------------------------------------------------
MALFORMED = {
    "not JSON": '{"id": "bd-3", "title": ',
    "not an object": '["bd-3"]',
    "no id": json.dumps({k: v for k, v in issue("bd-3").items() if k != "id"}),
    "blank title": json.dumps(issue("bd-3", title="  ")),
    "priority 5": json.dumps(issue("bd-3", priority=5)),
    "priority as text": json.dumps(issue("bd-3", priority="1")),
    "priority true": json.dumps(issue("bd-3", priority=True)),
    "bad timestamp": json.dumps(issue("bd-3", updated_at="2025-13-01T00:00:00Z")),
    "timestamp without zone": json.dumps(issue("bd-3", created_at="2025-11-02T21:58:07")),
    "dependency of another issue": json.dumps(issue("bd-3", dependencies=[dep("bd-9", "bd-1")])),
    "dependency on itself": json.dumps(issue("bd-3", dependencies=[dep("bd-3", "bd-3")])),
    "labels not strings": json.dumps(issue("bd-3", labels=[1])),
    "NaN": json.dumps(issue("bd-3")).replace('"priority": 2', '"priority": NaN'),
    "duplicate id": json.dumps(issue("bd-1")),
}


@pytest.mark.parametrize("bad_line", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_line_is_refused_naming_its_line_and_nothing_is_stored(bad_line: str) -> None:
    store = InMemoryStore()
    lines = lines_of(issue("bd-1"), "", bad_line, issue("bd-4"))
    with pytest.raises(ImportFormatError, match=r"^issues\.jsonl:3: ") as caught:
        batch = parse_beads(lines, "issues.jsonl")
        store.import_graph(batch.tasks, batch.deps, actor="test")
    assert caught.value.line_no == 3
    assert "--skip-bad" in str(caught.value)
    assert store.list_tasks(TaskQuery(include_deleted=True)) == [] and store.events() == []


def test_a_duplicate_id_is_refused_naming_both_lines() -> None:
    with pytest.raises(ImportFormatError, match=r"^<input>:3: duplicate id 'bd-1': line 1 has it already"):
        parse_beads(lines_of(issue("bd-1"), issue("bd-2"), issue("bd-1", title="again")))


def test_skip_bad_imports_the_rest_and_reports_the_line() -> None:
    lines = lines_of(issue("bd-1"), issue("bd-2", priority=9), "", issue("bd-1"), issue("bd-3"))
    batch = parse_beads(lines, skip_bad=True)
    assert [t.id for t in batch.tasks] == ["bd-1", "bd-3"]
    assert [n for n, _ in batch.skipped] == [2, 4]
    assert "priority" in batch.skipped[0][1] and "duplicate id 'bd-1'" in batch.skipped[1][1]
    store = InMemoryStore()
    store.import_graph(batch.tasks, batch.deps, actor="test")
    assert [t.id for t in store.ready()] == ["bd-1", "bd-3"]


def test_reading_a_file_names_the_file_and_the_line_of_bad_bytes(tmp_path: Path) -> None:
    path = tmp_path / "issues.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(issue("bd-1")).encode() + b'\n{"id": "bd-\xff"}\n')
    with pytest.raises(ImportFormatError, match=rf"^{re.escape(str(path))}:2: the line is not valid UTF-8"):
        read_beads_file(path)
    assert [t.id for t in read_beads_file(path, skip_bad=True).tasks] == ["bd-1"]


# -- files ------------------------------------------------------------------------------------------
def test_writing_a_file_replaces_it_whole_or_leaves_it_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "issues.jsonl"
    tasks = parse_beads(lines_of(issue("bd-1"), issue("bd-2"))).tasks
    assert write_beads_file(path, tasks, []) == 2
    before = path.read_bytes()

    def failing() -> Any:
        yield tasks[0]
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        write_beads_file(path, failing(), [])
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["issues.jsonl"]
    assert [t.id for t in read_beads_file(path).tasks] == ["bd-1", "bd-2"]


# -- the sample in the stores -----------------------------------------------------------------------
def test_the_sample_gives_the_same_ready_work_in_memory_and_in_sqlite(tmp_path: Path, sample: BeadsBatch) -> None:
    memory, sql = InMemoryStore(), SqlStore.from_url(f"sqlite:///{tmp_path}/o.db")
    summaries = [s.import_graph(sample.tasks, sample.deps, actor="test") for s in (memory, sql)]
    assert summaries[0] == summaries[1]
    assert (summaries[0].created, summaries[0].dependencies) == (2307, 943)
    in_memory, in_sqlite = memory.ready(), sql.ready()
    sql.close()
    assert [t.id for t in in_memory] == [t.id for t in in_sqlite]
    assert in_memory
    assert all(t.status == TaskStatus.OPEN and is_work_kind(t.kind) for t in in_memory)
    not_work = {t.id for t in sample.tasks if t.status == TaskStatus.OPEN and not is_work_kind(t.kind)}
    assert not_work and not not_work & {t.id for t in in_memory}
