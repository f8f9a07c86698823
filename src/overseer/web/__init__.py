"""The dashboard: server-rendered pages, live over server-sent events, no front-end build step."""

from fastapi import FastAPI


def mount(app: FastAPI) -> None:
    """(placeholder: the dashboard routes are added here)"""
