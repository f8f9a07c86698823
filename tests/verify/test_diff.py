from __future__ import annotations

from overseer.config.verify import DiffConfig
from overseer.domain.verification import Severity, StageStatus
from overseer.ports import CheckContext
from overseer.verify.diff import DiffStage, path_allowed
from tests.verify.conftest import Repo


def test_a_small_change_passes_with_its_size_in_the_detail(repo: Repo) -> None:
    ctx = repo.change({"calc.py": (repo.path / "calc.py").read_text() + "\n\ndef mul(a: int, b: int) -> int:\n    return a * b\n"})
    result = DiffStage(DiffConfig()).run(ctx)
    assert result.status == StageStatus.PASSED and result.findings == ()
    assert result.detail == "1 files, +4 -0"
    assert result.metrics["lines_added"] == 4


def test_an_empty_change_fails_as_empty_diff(repo: Repo) -> None:
    result = DiffStage().run(repo.ctx(repo.head, repo.head))
    assert result.status == StageStatus.FAILED
    assert [(f.type, f.severity) for f in result.findings] == [("EMPTY_DIFF", Severity.HIGH)]


def test_an_empty_commit_is_an_empty_change_too(repo: Repo) -> None:
    base, head = repo.commit({})
    assert base != head
    assert DiffStage().run(repo.ctx(base, head)).findings[0].type == "EMPTY_DIFF"


def test_an_empty_change_passes_when_the_config_or_the_task_allows_it(repo: Repo) -> None:
    assert DiffStage(DiffConfig(allow_empty=True)).run(repo.ctx(repo.head, repo.head)).status == StageStatus.PASSED
    assert DiffStage().run(repo.ctx(repo.head, repo.head, allow_empty=True)).status == StageStatus.PASSED


def test_a_change_that_only_deletes_a_file_is_not_empty(repo: Repo) -> None:
    result = DiffStage().run(repo.change({"tests/test_calc.py": None}))
    assert result.status == StageStatus.PASSED and "+0 -9" in result.detail


def test_a_file_outside_the_allowed_paths_fails_naming_the_file(repo: Repo) -> None:
    ctx = repo.change({"calc.py": "x = 1\n", "README.md": "# calc\n", "tests/test_more.py": "def test_x() -> None:\n    pass\n"})
    result = DiffStage(DiffConfig(allowed_paths=["calc.py", "tests/**"])).run(ctx)
    assert result.status == StageStatus.FAILED
    assert [(f.type, f.file) for f in result.findings] == [("PATH_NOT_ALLOWED", "README.md")]
    assert "README.md is outside the allowed paths" in result.detail


def test_deleting_a_file_outside_the_allowed_paths_is_touching_it(repo: Repo) -> None:
    result = DiffStage(DiffConfig(allowed_paths=["tests/"])).run(repo.change({"calc.py": None}))
    assert [(f.type, f.file) for f in result.findings] == [("PATH_NOT_ALLOWED", "calc.py")]


def test_allowed_path_globs_match_files_and_whole_folders() -> None:
    assert path_allowed("src/a/b.py", ["src/**"]) and path_allowed("src/a/b.py", ["src"]) and path_allowed("src/a.py", ["src/"])
    assert path_allowed("docs/x.md", ["*.md"]) and path_allowed("anything", [])
    assert not path_allowed("srcx/a.py", ["src"]) and not path_allowed("lib/a.py", ["src/**", "*.md"])


def test_a_binary_blob_fails_unless_binary_files_are_allowed(repo: Repo) -> None:
    ctx = repo.change({"assets/blob.bin": bytes(range(256)) * 8})
    result = DiffStage().run(ctx)
    assert result.status == StageStatus.FAILED
    assert [(f.type, f.file, f.severity) for f in result.findings] == [("BINARY_FILE", "assets/blob.bin", Severity.HIGH)]
    assert DiffStage(DiffConfig(allow_binary=True)).run(ctx).status == StageStatus.PASSED


def test_deleting_a_binary_file_is_not_adding_one(repo: Repo) -> None:
    repo.commit({"blob.bin": bytes(range(256))})
    assert DiffStage().run(repo.change({"blob.bin": None})).status == StageStatus.PASSED


def test_too_many_files_or_lines_fail_as_diff_size(repo: Repo) -> None:
    ctx = repo.change({f"pkg/m{i}.py": "x = 1\ny = 2\n" for i in range(4)})
    result = DiffStage(DiffConfig(max_files=3, max_lines=5)).run(ctx)
    assert result.status == StageStatus.FAILED
    messages = [f.message for f in result.findings if f.type == "DIFF_SIZE"]
    assert messages == ["the change touches 4 files, more than the limit of 3",
                        "the change adds and deletes 8 lines, more than the limit of 5"]


def test_a_file_larger_than_the_limit_fails_as_file_size(repo: Repo) -> None:
    ctx = repo.change({"data.txt": "row\n" * 500, "small.txt": "ok\n"})
    result = DiffStage(DiffConfig(max_file_bytes=1000)).run(ctx)
    assert [(f.type, f.file) for f in result.findings] == [("FILE_SIZE", "data.txt")]
    assert result.findings[0].message == "data.txt is 2000 bytes, more than the limit of 1000"


def test_findings_of_one_kind_are_capped_with_a_count_of_the_rest(repo: Repo) -> None:
    ctx = repo.change({f"other/f{i}.txt": "x\n" for i in range(25)})
    result = DiffStage(DiffConfig(allowed_paths=["src/**"])).run(ctx)
    assert len(result.findings) == 21
    assert result.findings[-1].message == "... and 5 more like these"


def test_a_commit_git_does_not_know_is_an_error_not_a_pass(repo: Repo) -> None:
    result = DiffStage().run(CheckContext(workdir=repo.path, base_commit="f" * 40, head_commit=repo.head))
    assert result.status == StageStatus.ERROR and "cannot read the change" in result.detail
