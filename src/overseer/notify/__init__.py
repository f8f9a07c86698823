"""Notifications: the ``Notifier`` port's adapters.

``AppriseNotifier`` sends to any Apprise URL (Slack, e-mail, ntfy, a JSON webhook...); ``RecordingNotifier`` keeps
notices in a list (the fake for tests) and ``NullNotifier`` drops them (nothing configured).

    notifier = AppriseNotifier.from_config(config.notify)   # ValueError now if a URL or ${VAR} is wrong
    notifier.notify(Notice("landed", "t-1 landed", "merged into overseer/integration/main", task_id="t-1"))
"""

from overseer.notify.apprise import AppriseNotifier, expand_url
from overseer.notify.memory import NullNotifier, RecordingNotifier

__all__ = ["AppriseNotifier", "NullNotifier", "RecordingNotifier", "expand_url"]
