"""Celery: safe defaults, routing, and messages that carry ids, never case content."""

from __future__ import annotations

import json
import uuid

import pytest
from django.conf import settings
from kombu import Queue

from accounts.tasks import send_notification_email
from custos.celery import app


def test_workers_acknowledge_late_one_task_at_a_time_in_json() -> None:
    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    assert settings.CUSTOS_REPORT_SOFT_TIME_LIMIT < settings.CUSTOS_REPORT_TIME_LIMIT


def test_report_rendering_goes_to_the_reports_queue_and_the_rest_to_default() -> None:
    router = app.amqp.router
    assert router.route({}, "partners.tasks.render_package")["queue"].name == "reports"
    assert router.route({}, "partners.tasks.render_package_part")["queue"].name == "reports"
    assert router.route({}, "partners.tasks.assemble_package")["queue"].name == "reports"
    assert router.route({}, "training.tasks.render_certificate")["queue"].name == "reports"
    assert router.route({}, "accounts.tasks.send_notification_email")["queue"].name == "default"
    assert {q.name for q in app.conf.task_queues} == {"default", "reports"}


def test_beat_schedule_seals_audit_requeues_stuck_jobs_checks_fixity_and_expires() -> None:
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert tasks == {
        "audit.tasks.seal_audit_chain",
        "accounts.tasks.requeue_stuck_notification_emails",
        "evidence.tasks.fixity_sweep",
        "training.tasks.requeue_stuck_certificates",
        "partners.tasks.requeue_stuck_packages",
        "partners.tasks.expire_packages",
    }
    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    for name in tasks:
        assert name in app.tasks


@pytest.mark.django_db
def test_a_message_on_the_real_broker_carries_only_the_id() -> None:
    # A queue of this test's own, so that a running demo worker cannot take the message.
    queue = Queue(f"test-{uuid.uuid4().hex}", routing_key=f"test-{uuid.uuid4().hex}")
    with app.connection_for_write() as conn:
        queue.bind(conn).declare()
        send_notification_email.apply_async(
            args=[4242], queue=queue, routing_key=queue.routing_key, connection=conn
        )
        # kombu takes the Queue itself (its binding kept); its stubs only know a queue's name.
        with conn.SimpleQueue(queue) as simple:  # type: ignore[arg-type]
            message = simple.get(timeout=10)
            message.ack()
        queue.bind(conn).delete()
    assert message.content_type == "application/json"
    body = json.loads(message.body) if isinstance(message.body, str | bytes) else message.payload
    args = body[0] if isinstance(body, list) else body["args"]
    assert args == [4242]
    assert message.headers["task"] == "accounts.tasks.send_notification_email"
