"""Policy: pure decisions over ports — the router, the quota book, and the routed model gateway."""

from overseer.scheduler.quota import UNMETERED, QuotaBook, WindowStatus
from overseer.scheduler.router import Decision, Option, ProviderState, QuotaView, Router, RouteRequest

__all__ = ["UNMETERED", "Decision", "Option", "ProviderState", "QuotaBook", "QuotaView", "RouteRequest", "Router", "WindowStatus"]
