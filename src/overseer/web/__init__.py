"""The dashboard: server-rendered pages, live over server-sent events, no front-end build step.

Pages render straight from the ``AppContext`` (supervisor, run store, approvals, quota book, audit reports), never
through the REST routes' code; their script (``static/overseer.js``) follows ``/api/v1/events/stream`` and refreshes
what an event touches — a board card, a live region of the page (``?fragment=`` renders one block), a run's log
from ``/api/v1/runs/ID/log/stream`` — and posts approvals to the API with the page's CSRF token.

=============  ==============================================================================
``/``          the board: columns by status, the dependency graph of one epic (``?epic=ID``)
``/tasks``     one column's tasks, paged; ``/tasks/ID``: a task, its dependencies, its runs
``/runs/ID``   a run: header, live log, verification stages, highlighted diff
``/approvals`` the queue, with Approve and Reject (script or plain forms)
``/plans``     plans and queued requests; ``/plans/ID``: a plan as a tree of phases (Approve/Reject) and tasks
``/providers`` quota gauges per window, resets, parked providers
``/cost``      dollars per day (30 days), totals by provider and model
``/audit``     the auditor's reports, newest first
``/login``     sign a browser in (sets the session cookie)
=============  ==============================================================================
"""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from overseer.web import approvals, audit, board, errors, login, plans, quota, runs, tasks
from overseer.web.templating import STATIC

ROUTERS = (board.router, tasks.router, runs.router, approvals.router, plans.router, quota.router, audit.router,
           login.router)

__all__ = ["mount"]


def mount(app: FastAPI) -> None:
    """Add the dashboard's pages, its static files (``/static``) and HTML error pages to the API's app."""
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    errors.install(app)
