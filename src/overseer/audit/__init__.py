"""The commit auditor: audits new commits of a repository, writes a report per audited commit, feeds findings back to
the coding agent through an inbox folder, and keeps watching. Works through ports; ``bootstrap`` hands in the stages."""

from overseer.audit.auditor import Auditor
from overseer.audit.watch import Watcher

__all__ = ["Auditor", "Watcher"]
