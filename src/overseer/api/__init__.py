"""The REST API (FastAPI): ``create_app`` builds it over a ``Supervisor``; ``overseer serve`` runs it."""

from overseer.api.app import API, create_app
from overseer.api.auth import Auth, is_loopback, load_token
from overseer.api.context import ApiSettings, AppContext, Health

__all__ = ["API", "ApiSettings", "AppContext", "Auth", "Health", "create_app", "is_loopback", "load_token"]
