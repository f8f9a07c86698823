"""``AppriseNotifier``: notices to any Apprise URL (``slack://``, ``mailto://``, ``json://host/path``, ``ntfy://``...).

Everything that can be wrong with the configuration is refused at construction, so it shows when Overseer starts:
a ``${VAR}`` with no value, or a URL Apprise does not accept. Delivery never raises: a failed notice returns False
and says what failed in ``failures`` (one line per failed target, URLs with their secrets masked by Apprise).

    notifier = AppriseNotifier(["json://127.0.0.1:8080/hook", "slack://${SLACK_TOKEN}"], events=["failed", "landed"])
    notifier.notify(Notice("failed", "task t-1 failed", "tests failed twice", task_id="t-1", severity="failure"))
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Callable, Container, Mapping, Sequence
from typing import Any, cast

import apprise
from apprise.manager_plugins import NotificationManager

from overseer.config.verify import NotifyConfig
from overseer.ports import Notice

__all__ = ["AppriseNotifier", "expand_url"]

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TYPES = {"info": apprise.NotifyType.INFO, "warning": apprise.NotifyType.WARNING, "failure": apprise.NotifyType.FAILURE}
_MAX_FAILURES = 100  # the newest are kept
_WIKI = "https://github.com/caronc/apprise/wiki"


def expand_url(url: str, index: int, environ: Mapping[str, str]) -> str:
    """``url`` with each ``${VAR}`` replaced from ``environ``; ValueError naming the variable and ``notify.urls[index]``."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise ValueError(f"notify.urls[{index}] ({url!r}) uses ${{{name}}} but {name} is not set: set it in the environment "
                             "Overseer starts in, or remove the URL")
        return environ[name]

    return _VAR.sub(value, url)


class AppriseNotifier:
    """The ``Notifier`` port over Apprise: each notice whose kind is in ``events`` goes to every URL."""

    def __init__(self, urls: Sequence[str], events: Sequence[str], *, timeout_seconds: float = 10.0,
                 environ: Mapping[str, str] | None = None) -> None:
        logging.getLogger(apprise.LOGGER_NAME).setLevel(logging.WARNING)  # not a line per request at INFO
        env = os.environ if environ is None else environ
        self.events = frozenset(events)
        self.timeout_seconds = timeout_seconds
        self.failures: list[str] = []
        self._apprise = apprise.Apprise(asset=apprise.AppriseAsset(storage_mode="memory"))
        with warnings.catch_warnings():  # loading Apprise's plugins imports the deprecated ``imghdr`` (its e-mail plugin)
            warnings.simplefilter("ignore", DeprecationWarning)
            for index, url in enumerate(urls):
                self._apprise.add(self._service(url, index, env))

    @classmethod
    def from_config(cls, config: NotifyConfig, environ: Mapping[str, str] | None = None) -> AppriseNotifier:
        return cls(config.urls, config.events, timeout_seconds=config.timeout_seconds, environ=environ)

    def _service(self, url: str, index: int, environ: Mapping[str, str]) -> Any:
        service = apprise.Apprise.instantiate(expand_url(url, index, environ), asset=self._apprise.asset)
        if service is None:
            raise ValueError(f"notify.urls[{index}] ({url!r}) is not a URL Apprise accepts: {_why_refused(url)}; "
                             f"see {_WIKI} for each service's URL form")
        service.socket_connect_timeout = self.timeout_seconds
        service.socket_read_timeout = self.timeout_seconds
        return service

    def __len__(self) -> int:
        return len(self._apprise)

    def wants(self, kind: str) -> bool:
        return kind in self.events

    def notify(self, notice: Notice) -> bool:
        """Send ``notice`` to every URL when its kind is wanted; False (and a line in ``failures``) when any delivery failed."""
        if not self.wants(notice.kind) or len(self._apprise) == 0:
            return True
        try:
            result = self._apprise.notify(body=_body(notice), title=notice.title or notice.kind,
                                          notify_type=_TYPES.get(notice.severity, apprise.NotifyType.INFO))
            if result:
                return True
            self._record(notice, _failed_targets(result))
        except Exception as exc:  # a notifier never takes the supervisor down
            self._record(notice, [f"{type(exc).__name__}: {exc}"])
        return False

    def _record(self, notice: Notice, what: list[str]) -> None:
        for line in what or ["apprise reported a failure without saying which target"]:
            self.failures.append(f"{notice.kind} notice {notice.title!r}: {line}")
        del self.failures[:-_MAX_FAILURES]


def _body(notice: Notice) -> str:
    lines = [notice.body] if notice.body else []
    if notice.task_id:
        lines.append(f"task {notice.task_id}")
    if notice.run_id:
        lines.append(f"run {notice.run_id}")
    return "\n".join(lines) or notice.title or notice.kind


def _failed_targets(result: Any) -> list[str]:
    """One line per target that failed, from Apprise 2's per-service results (Apprise 1 returns a bare bool)."""
    lines = []
    for service in getattr(result, "results", ()):
        if service:
            continue
        said = [entry.message for entry in service.logs() if entry.level in ("WARNING", "ERROR", "CRITICAL")]
        reason = f": {said[-1]}" if said else ""
        url = str(service.url).partition("?")[0]  # masked by Apprise; the query holds only its own settings
        lines.append(f"{service.name} {url} {service.status.name.lower()}{reason}")
    return lines


def _why_refused(url: str) -> str:
    scheme, sep, _ = url.partition("://")
    if not sep:
        return "it has no scheme:// (e.g. json://host/path, slack://token)"
    plugins = cast(Callable[[], Container[str]], NotificationManager)()  # the shared registry of Apprise's services
    if scheme.lower() not in plugins:
        return f"no Apprise service has the scheme {scheme + '://'!r}"
    return f"a part the {scheme}:// service needs is missing or malformed"
