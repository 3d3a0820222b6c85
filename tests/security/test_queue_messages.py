"""Queue messages carry ids only: every message the services publish to the broker while they
work on the hostile world (certificate rendering, notification e-mails, package rendering) is
captured as it is sent, and holds no canary and nothing but integers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from celery.signals import before_task_publish
from kombu import Queue

from accounts.services import notification_send
from custos.celery import app
from partners.packages import services as package_services
from tests.cases.conftest import SHARED_WORLD
from tests.security.conftest import CANARY, CASE_CANARY, NOTE_CANARY, Hostile
from training.services import certificate_issue

pytestmark = SHARED_WORLD  # the case world is built once for the module


@pytest.fixture
def published() -> Iterator[list[dict[str, Any]]]:
    messages: list[dict[str, Any]] = []

    def capture(sender: str, body: Any, headers: dict, routing_key: str, **kwargs: Any) -> None:
        messages.append({"task": sender, "body": body, "headers": headers, "queue": routing_key})

    before_task_publish.connect(capture, weak=False)
    yield messages
    before_task_publish.disconnect(capture)
    with app.connection_for_write() as conn:  # nobody consumes these: leave the queues clean
        for queue in {m["queue"] for m in messages}:
            Queue(queue).bind(conn.default_channel).purge()


def test_queued_messages_hold_only_ids(
    hostile: Hostile, published: list[dict[str, Any]], django_capture_on_commit_callbacks
) -> None:
    w = hostile.world
    w.lead.email = "lead@unit.example"
    w.lead.save()
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(user=w.lead, title=f"About {CASE_CANARY}", body=NOTE_CANARY)
        certificate_issue(application=hostile.application, actor=None)
        hostile.certificate.delete()  # issue a fresh one for the application
        certificate_issue(application=hostile.application, actor=None)
        package_services.package_approve(
            package=hostile.package, actor=w.lead, recipients=[hostile.p.liaison_a]
        )
    tasks = {m["task"] for m in published}
    assert {
        "accounts.tasks.send_notification_email",
        "training.tasks.render_certificate",
        "partners.tasks.render_package",
    } <= tasks, tasks
    for message in published:
        text = json.dumps(message["body"], default=str) + json.dumps(
            {k: v for k, v in message["headers"].items() if k != "argsrepr"}, default=str
        )
        for canary in (CANARY, CASE_CANARY, NOTE_CANARY, "Zaynab", w.case.title):
            assert canary not in text, message["task"]
        args, kwargs = message["body"][0], message["body"][1]
        assert all(isinstance(a, int) for a in args), (message["task"], args)
        assert all(isinstance(v, int) for v in kwargs.values()), (message["task"], kwargs)
