"""The codebase review on a real small repository: languages, test set-up and conventions found; the budget respected and
what was left out said."""

from __future__ import annotations

from pathlib import Path

from overseer.planning import review_codebase
from tests.planning.conftest import git, make_repo


def test_the_review_finds_languages_tests_and_conventions_and_reads_the_project_instructions(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    review = review_codebase(repo, "Add mul to calc.py", budget=4000)
    assert review.files == 6
    assert review.languages["Python"] == 2 and review.languages["TypeScript"] == 1 and review.languages["Markdown"] == 2
    assert review.tests == ("pytest (pyproject.toml [tool.pytest.ini_options])",)
    assert review.conventions == ("ruff (pyproject.toml [tool.ruff])",)
    titles = [s.title for s in review.sections]
    assert titles[:3] == ["Overview", "File tree", "AGENTS.md (instructions)"]
    assert "calc.py (named in the request)" in titles and "pyproject.toml (manifest)" in titles
    assert review.left_out == () and review.used <= 4000
    text = review.text()
    assert "Every function has a test" in text and "def add(a, b)" in text and "tests/test_calc.py" in text


def test_untracked_files_count_and_ignored_ones_do_not(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / ".gitignore").write_text("secret.txt\n")
    (repo / "secret.txt").write_text("x")
    (repo / "new.go").write_text("package main\n")
    (repo / "new_test.go").write_text("package main\n")
    (repo / "go.mod").write_text("module x\n")
    review = review_codebase(repo, budget=2000)
    assert review.files == 10 and review.languages["Go"] == 2
    assert "go test ./... (go.mod and *_test.go files)" in review.tests
    assert "secret.txt" not in review.text()


def test_a_small_budget_is_respected_and_what_did_not_fit_is_listed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "big.py").write_text("".join(f"def f{i}():\n    return {i}\n\n" for i in range(2000)))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "big")
    review = review_codebase(repo, "Refactor big.py", budget=300, test_command="make check")
    assert 250 <= review.used <= 300  # what the small sections left, the cut file got
    assert review.tests[0] == "make check (verify.tests.command in overseer.yaml)"
    [big] = [s for s in review.sections if s.title == "big.py (named in the request)"]
    assert big.text.startswith("def f0():") and big.text.endswith("more lines)")
    assert any(x.startswith("big.py (named in the request): cut to ") for x in review.left_out)
    assert "pyproject.toml (manifest): 35 tokens" in review.left_out  # it came after the file and no room was left
    assert "Left out to fit the review budget" in review.text() and "left out: " in review.summary()


def test_a_folder_that_is_not_a_git_repository_is_walked_without_build_folders(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.rs").write_text("fn main() {}\n")
    (tmp_path / "Cargo.toml").write_text("[package]\nname = 'x'\n")
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "junk.rs").write_text("")
    review = review_codebase(tmp_path, budget=2000)
    assert review.files == 2 and review.languages == {"Rust": 1, "TOML": 1}
    assert review.tests == ("cargo test (Cargo.toml)",)
    assert "src/main.rs (entry point)" in [s.title for s in review.sections]
