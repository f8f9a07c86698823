"""``overseer skill list | show | run``: the markdown disciplines (built-in and the project's own) and one call of one."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from overseer.bootstrap import open_skills, skill_catalog
from overseer.cli.common import JsonFlag, RepoOpt, emit_json, err, out, supervisor

app = typer.Typer(help="Skills: markdown disciplines (tdd, review, debug, spec, retrospective, your own) run as one model call.",
                  no_args_is_help=True)


@app.command("list")
def list_skills(as_json: JsonFlag = False, repo: RepoOpt = None) -> None:
    """Every skill: name, how its calls are routed (work type, complexity), where it comes from, when to use it."""
    with supervisor(as_json, repo) as sup:
        catalog = skill_catalog(sup)
        rows: list[dict[str, Any]] = [{**s.to_dict(), "chain": sup.config.skills.chain(s.name)} for s in catalog]
        folder = str(catalog.folder) if catalog.folder is not None else None
    if as_json:
        emit_json({"folder": folder, "skills": rows})
        return
    table = Table(header_style="bold")
    for col in ("name", "work type", "complexity", "chain", "source", "description"):
        table.add_column(col, overflow="fold", no_wrap=col in ("name", "work type", "complexity"))
    for r in rows:
        source = f"{r['source']} (overrides the built-in)" if r["overrides"] else str(r["source"])
        table.add_row(str(r["name"]), str(r["work_type"]), str(r["complexity"]), ", ".join(r["chain"]) or "routed", source,
                      str(r["description"]))
    out.print(table)
    out.print(f"[dim]your own skills: {folder}/NAME.md (front matter: name, description, work_type, complexity)[/]")


@app.command("show")
def show(name: Annotated[str, typer.Argument(help="The skill.")], as_json: JsonFlag = False, repo: RepoOpt = None) -> None:
    """A skill's front matter and discipline."""
    with supervisor(as_json, repo) as sup:
        skill = skill_catalog(sup).get(name)
        chain = sup.config.skills.chain(name)
    if as_json:
        emit_json({**skill.to_dict(), "chain": chain, "body": skill.body})
        return
    out.print(f"[bold]{skill.name}[/] · {skill.work_type.value} · {skill.complexity.value} · {skill.source}"
              f" · chain: {', '.join(chain) or 'routed'}")
    out.print(f"[dim]{skill.description}[/]\n")
    sys.stdout.write(skill.body)


@app.command("run")
def run(
    name: Annotated[str, typer.Argument(help="The skill (see `overseer skill list`).")],
    prompt: Annotated[str, typer.Argument(help="What the skill should work on.")],
    model: Annotated[str | None, typer.Option("--model", "-m", help="A profile, or a model some profile uses, for this call.")] = None,
    session: Annotated[str | None, typer.Option("--session", "-s", help="Session: earlier calls in it are given to the model.")] = None,
    task: Annotated[str | None, typer.Option("--task", help="The task this call is for (its cost is counted there).")] = None,
    as_json: JsonFlag = False,
    repo: RepoOpt = None,
) -> None:
    """Run a skill: print its markdown answer (--json: the answer with model, duration, tokens and cost)."""
    with supervisor(as_json, repo) as sup:
        result = open_skills(sup).run(name, prompt, model=model, session=session, task_id=task)
    if as_json:
        emit_json(result.to_dict())
        return
    sys.stdout.write(result.markdown if result.markdown.endswith("\n") else result.markdown + "\n")
    sys.stdout.flush()
    passed = f" · passed over: {'; '.join(result.tried)}" if result.tried else ""
    err.print(f"[dim]{result.skill} · {result.profile} ({result.model}) · {result.duration_s:.1f}s · {result.tokens_in}+"
              f"{result.tokens_out} tokens · ${result.cost_usd:.4f}{passed}[/]")
