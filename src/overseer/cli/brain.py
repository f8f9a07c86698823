"""``overseer brain add|search|show|export``: the knowledge store, markdown notes found by full-text search."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from overseer.bootstrap import open_brain
from overseer.cli.common import JsonFlag, RepoOpt, actor, emit_json, fail, out, supervisor
from overseer.domain.knowledge import KnowledgeEntry

app = typer.Typer(help="The knowledge store: markdown notes agents and people read back (full-text search).", no_args_is_help=True)

Tags = Annotated[list[str] | None, typer.Option("--tag", "-t", help="A tag (repeat for more).")]


def _body(body: str | None, file: Path | None, as_json: bool) -> str:
    if body is not None and file is not None:
        fail("body: give --body or --file, not both", as_json=as_json, kind="ValidationError", field="body")
    if file is None:
        return body or ""
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        fail(f"file: cannot read {file}: {getattr(err, 'strerror', None) or err}", as_json=as_json, kind="ValidationError", field="file")


@app.command("add")
def add(
    title: Annotated[str, typer.Argument(help="One line saying what the note is about.")],
    body: Annotated[str | None, typer.Option("--body", "-b", help="The note, in markdown.")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the note from this markdown file.")] = None,
    tag: Tags = None,
    run: Annotated[str | None, typer.Option("--run", help="The run this was learnt from.")] = None,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Add a note; prints its id."""
    text = _body(body, file, as_json)
    with supervisor(as_json, repo) as sup:
        entry = open_brain(sup, actor=actor()).add(title, text, tuple(tag or ()), source_run=run)
    if as_json:
        emit_json(entry.to_dict())
    else:
        out.print(f"added [bold]{entry.id}[/]  {escape(entry.title)}")


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Words to look for (any may match; quotes and operators are plain text).")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100, help="At most this many.")] = 5,
    tag: Tags = None,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Find notes by full text, most relevant first (a title match counts most); --tag keeps notes with every tag given."""
    with supervisor(as_json, repo) as sup:
        found = open_brain(sup, actor=actor()).search(query, limit=limit, tags=tuple(tag or ()))
    if as_json:
        emit_json([e.to_dict() for e in found])
        return
    out.print(_table(found, f"{len(found)} found for {query!r}"))


@app.command("show")
def show(entry_id: Annotated[str, typer.Argument(help="The note's id (kb-…).")], as_json: JsonFlag = False, repo: RepoOpt = None) -> None:
    """One note, as markdown."""
    with supervisor(as_json, repo) as sup:
        entry = open_brain(sup, actor=actor()).show(entry_id)
    if as_json:
        emit_json(entry.to_dict())
        return
    when = entry.created_at.isoformat(timespec="seconds") if entry.created_at else "?"
    out.print(f"[dim]{entry.id} · added {when} by {escape(entry.created_by)}[/]")
    out.print(entry.markdown(), markup=False, highlight=False)


@app.command("export")
def export(
    folder: Annotated[Path, typer.Argument(help="Where to write one .md file per note (made if missing).")],
    tag: Annotated[str | None, typer.Option("--tag", "-t", help="Only notes with this tag.")] = None,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Write every note as a markdown file named after its id and title."""
    with supervisor(as_json, repo) as sup:
        paths = open_brain(sup, actor=actor()).export(folder, tag=tag)
    if as_json:
        emit_json({"folder": str(folder.resolve()), "files": [str(p) for p in paths]})
    else:
        out.print(f"wrote {len(paths)} file(s) to {escape(str(folder.resolve()))}")


def _table(entries: list[KnowledgeEntry], title: str) -> Table:
    table = Table(title=escape(title), header_style="bold")
    for col in ("id", "score", "title", "tags"):
        table.add_column(col, no_wrap=col != "title")
    for e in entries:
        table.add_row(e.id, f"{e.score:.2f}" if e.score is not None else "", escape(e.title), ", ".join(e.tags))
    return table
