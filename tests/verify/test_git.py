from __future__ import annotations

from pathlib import Path

import pytest

from overseer.verify.git import GitError, added_lines, changed_files, diff_text, numstat
from tests.verify.conftest import Repo


def test_changed_files_lists_added_modified_and_renamed_paths_but_not_deleted_ones(repo: Repo) -> None:
    repo.git("mv", "calc.py", "arith.py")
    base, head = repo.commit({"new.py": "x = 1\n", "tests/test_calc.py": None, "pyproject.toml": "[project]\nname = 'c'\n"})
    assert changed_files(repo.path, base, head) == ["arith.py", "new.py", "pyproject.toml"]


def test_a_commit_compared_with_itself_changes_nothing(repo: Repo) -> None:
    assert changed_files(repo.path, repo.head, repo.head) == []
    assert numstat(repo.path, repo.head, repo.head) == {}
    assert added_lines(repo.path, repo.head, repo.head) == []


def test_numstat_counts_lines_and_marks_binary_files(repo: Repo) -> None:
    base, head = repo.commit({"calc.py": "def add(a, b):\n    return a + b\n", "blob.bin": bytes(range(256)) * 4})
    stats = numstat(repo.path, base, head)
    assert stats["calc.py"].added == 1 and stats["calc.py"].deleted == 5 and not stats["calc.py"].binary
    assert stats["blob.bin"].binary


def test_added_lines_carry_their_line_numbers_in_the_new_file(repo: Repo) -> None:
    text = (repo.path / "calc.py").read_text().replace("    return a - b\n", "    # subtract\n    return a - b\n")
    base, head = repo.commit({"calc.py": text + "\n\ndef mul(a: int, b: int) -> int:\n    return a * b\n", "docs/a b.md": "+++ x\n"})
    got = {(a.file, a.line, a.text) for a in added_lines(repo.path, base, head)}
    assert ("calc.py", 6, "    # subtract") in got
    assert ("calc.py", 10, "def mul(a: int, b: int) -> int:") in got
    assert ("docs/a b.md", 1, "+++ x") in got
    assert not any(a.text == "    return a - b" for a in added_lines(repo.path, base, head))


def test_diff_text_is_cut_at_the_limit_and_says_how_much_was_left_out(repo: Repo) -> None:
    base, head = repo.commit({"big.txt": "line\n" * 2000})
    text = diff_text(repo.path, base, head, max_chars=1000)
    assert text.startswith("diff --git a/big.txt b/big.txt")
    assert "diff cut:" in text and len(text) < 1100


def test_an_unknown_commit_raises_a_git_error_naming_the_command_and_the_folder(repo: Repo, tmp_path: Path) -> None:
    with pytest.raises(GitError, match=r"git diff .* failed in .*repo \(exit 128\)"):
        changed_files(repo.path, "0" * 40, repo.head)
