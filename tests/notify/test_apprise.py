"""AppriseNotifier against a real local webhook (Apprise's ``json://``), not a mock."""

from __future__ import annotations

import socket
import time

import pytest

from overseer.config.verify import NotifyConfig
from overseer.notify import AppriseNotifier, NullNotifier, RecordingNotifier
from overseer.ports import Notice
from tests.notify.receiver import WebhookReceiver

FAILED = Notice("failed", "task t-1 failed", "the tests failed on both attempts", task_id="t-1", run_id="r-9", severity="failure")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_wanted_notice_reaches_the_webhook_with_its_title_body_ids_and_type() -> None:
    with WebhookReceiver() as hook:
        notifier = AppriseNotifier([hook.apprise_url("/hook")], events=["failed"])
        assert notifier.notify(FAILED) is True
        [post] = hook.wait_for(1)
    assert post.path == "/hook" and post.headers["content-type"].startswith("application/json")
    assert post.json["title"] == "task t-1 failed" and post.json["type"] == "failure"
    assert post.json["message"].splitlines() == ["the tests failed on both attempts", "task t-1", "run r-9"]
    assert notifier.failures == []


@pytest.mark.parametrize(("severity", "sent"), [("info", "info"), ("warning", "warning"), ("failure", "failure"), ("odd", "info")])
def test_each_severity_becomes_the_apprise_type_of_the_same_name_and_an_unknown_one_is_info(severity: str, sent: str) -> None:
    with WebhookReceiver() as hook:
        AppriseNotifier([hook.apprise_url()], events=["summary"]).notify(Notice("summary", "daily", "3 landed", severity=severity))
        [post] = hook.wait_for(1)
    assert post.json["type"] == sent


def test_a_notice_whose_kind_is_not_in_events_is_not_sent_and_counts_as_delivered() -> None:
    with WebhookReceiver() as hook:
        notifier = AppriseNotifier([hook.apprise_url()], events=["failed"])
        assert notifier.notify(Notice("landed", "t-1 landed", "merged")) is True
        assert notifier.notify(FAILED) is True
        posts = hook.wait_for(1)
        time.sleep(0.2)
    assert [p.json["title"] for p in posts] == ["task t-1 failed"] and len(hook.posts) == 1


def test_every_url_gets_the_notice() -> None:
    with WebhookReceiver() as first, WebhookReceiver() as second:
        assert AppriseNotifier([first.apprise_url("/a"), second.apprise_url("/b")], events=["failed"]).notify(FAILED)
        assert first.wait_for(1)[0].path == "/a" and second.wait_for(1)[0].path == "/b"


def test_a_target_answering_500_makes_notify_return_false_and_failures_name_it_without_raising() -> None:
    with WebhookReceiver(status=500) as hook:
        notifier = AppriseNotifier([hook.apprise_url("/broken")], events=["failed"])
        assert notifier.notify(FAILED) is False
        hook.wait_for(1)
    [failure] = notifier.failures
    assert "failed notice 'task t-1 failed'" in failure and f"127.0.0.1:{hook.port}/broken" in failure and "500" in failure


def test_one_broken_target_does_not_stop_the_others() -> None:
    with WebhookReceiver(status=500) as broken, WebhookReceiver() as working:
        notifier = AppriseNotifier([broken.apprise_url("/x"), working.apprise_url("/y")], events=["failed"])
        assert notifier.notify(FAILED) is False
        assert working.wait_for(1)[0].json["title"] == "task t-1 failed"
    assert len(notifier.failures) == 1 and f":{broken.port}/x" in notifier.failures[0]


def test_an_unreachable_port_returns_false_at_once() -> None:
    port = free_port()
    notifier = AppriseNotifier([f"json://127.0.0.1:{port}/hook"], events=["failed"], timeout_seconds=1.0)
    started = time.monotonic()
    assert notifier.notify(FAILED) is False
    assert time.monotonic() - started < 3.0
    assert f"127.0.0.1:{port}/hook" in notifier.failures[0]


def test_a_target_that_never_answers_is_given_up_at_the_timeout() -> None:
    with WebhookReceiver(delay=30) as hook:
        notifier = AppriseNotifier([hook.apprise_url()], events=["failed"], timeout_seconds=0.5)
        started = time.monotonic()
        assert notifier.notify(FAILED) is False
        assert time.monotonic() - started < 5.0
    assert f":{hook.port}/hook" in notifier.failures[0]


def test_variables_in_urls_are_expanded_from_the_given_environment() -> None:
    with WebhookReceiver() as hook:
        url = "json://${HOOK_HOST}:${HOOK_PORT}/hook"
        notifier = AppriseNotifier([url], events=["failed"], environ={"HOOK_HOST": "127.0.0.1", "HOOK_PORT": str(hook.port)})
        assert notifier.notify(FAILED)
        assert hook.wait_for(1)[0].json["title"] == "task t-1 failed"


def test_a_missing_variable_is_refused_at_construction_naming_it_and_the_url_index() -> None:
    with pytest.raises(ValueError, match=r"notify\.urls\[1\].*\$\{SLACK_TOKEN\} but SLACK_TOKEN is not set"):
        AppriseNotifier(["json://127.0.0.1:1/ok", "slack://${SLACK_TOKEN}"], events=["failed"], environ={})


@pytest.mark.parametrize(("url", "why"), [
    ("nosuch://host/path", "no Apprise service has the scheme 'nosuch://'"),
    ("127.0.0.1:8080/hook", "it has no scheme://"),
    ("slack://", "a part the slack:// service needs is missing or malformed"),
])
def test_a_url_apprise_does_not_accept_is_refused_at_construction_saying_why(url: str, why: str) -> None:
    with pytest.raises(ValueError) as caught:
        AppriseNotifier(["json://127.0.0.1:1/ok", url], events=["failed"])
    message = str(caught.value)
    assert message.startswith(f"notify.urls[1] ({url!r}) is not a URL Apprise accepts") and why in message


def test_the_notifier_built_from_config_uses_its_urls_events_and_timeout() -> None:
    with WebhookReceiver() as hook:
        config = NotifyConfig(urls=[hook.apprise_url()], events=["landed"], timeout_seconds=2.5)
        notifier = AppriseNotifier.from_config(config, environ={})
        assert (len(notifier), notifier.events, notifier.timeout_seconds) == (1, frozenset({"landed"}), 2.5)
        assert notifier.notify(Notice("landed", "t-2 landed", "")) is True
        post = hook.wait_for(1)[0]
    assert post.json["message"] == "t-2 landed"  # an empty body falls back to the title


def test_no_urls_means_every_notice_is_delivered_to_nobody() -> None:
    assert AppriseNotifier([], events=["failed"]).notify(FAILED) is True


def test_the_recording_notifier_keeps_wanted_notices_and_can_play_a_failing_target() -> None:
    recorder = RecordingNotifier(events=["failed"])
    assert recorder.notify(FAILED) and recorder.notify(Notice("landed", "x", "y"))
    assert recorder.notices == [FAILED] and recorder.kinds() == ["failed"]
    failing = RecordingNotifier(fail=True)
    assert failing.notify(FAILED) is False and failing.notices == [FAILED] and "told to fail" in failing.failures[0]
    assert NullNotifier().notify(FAILED) is True
