"""`overseer demo`: the whole pipeline on a sample repository with a built-in scripted model (no key).

    sample.py      the sample package (textkit), its tests, and the epic's five tasks with their right answers
    model.py       the scripted model's script: two model names, one planted mistake, approving reviews
    agent.py       a tiny real agent program for the command harness (one HTTP call, whole-file edits)
    config.py      the demo's overseer.yaml: two profiles, routing with a cascade, every check on
    repository.py  the sample written and committed, the epic put into the graph
    pipeline.py    the run: scripted model server, Server (API + dashboard + supervisor loop), audit, progress, result
    progress.py    the progress feed, read from the served API's event log
    report.py      the result: tasks, attempts, verdicts, landings, audit, what the API answered
"""
