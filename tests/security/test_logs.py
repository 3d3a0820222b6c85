"""ASVS V16 (security logging): denials and logins are logged with actor, address, object and
time on ``custos.security``; the logs never carry testimony or a protected name, and a
request cannot forge a log line."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.cases.conftest import SHARED_WORLD, WITNESS_NAME
from tests.security.conftest import CANARY, NOTE_CANARY, Hostile

pytestmark = SHARED_WORLD  # the case world is built once for the module

SECURITY = "custos.security"
ISO_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00"


def _security(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == SECURITY]


def _denied(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [line for line in _security(caplog) if line.startswith("denied ")]


def test_a_denied_object_is_logged_with_actor_address_object_and_time(
    hostile: Hostile, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.force_login(hostile.analyst)
    witness = hostile.world.witness
    url = reverse("cases:person_detail", args=[hostile.world.case.pk, witness.pk])
    with caplog.at_level(logging.INFO, logger=SECURITY):
        assert client.get(url).status_code == 404
    [line] = _denied(caplog)
    assert re.fullmatch(
        rf"denied status=404 actor={hostile.analyst.pk}:h_analyst ip=203\.0\.113\.9 "
        rf"method=GET path={re.escape(url)} "
        rf"object=cases:person_detail\{{'person_pk': {witness.pk}, "
        rf"'pk': {hostile.world.case.pk}\}} "
        rf"at={ISO_TIME}",
        line,
    ), line


def test_a_forbidden_action_is_logged_too(
    hostile: Hostile, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    client.force_login(hostile.trainee)
    with caplog.at_level(logging.INFO, logger=SECURITY):
        assert client.get(reverse("audit:list")).status_code == 403
    [line] = _denied(caplog)
    assert line.startswith(f"denied status=403 actor={hostile.trainee.pk}:h_trainee ip=127.0.0.1")
    assert "object=audit:list{}" in line


def test_logins_failures_and_lockouts_are_logged_with_the_address(
    db: None, caplog: pytest.LogCaptureFixture, settings
) -> None:
    from tests.factories import UserFactory

    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(username="h_victim")
    client = Client(REMOTE_ADDR="198.51.100.7")
    with caplog.at_level(logging.INFO, logger=SECURITY):
        for _ in range(3):
            client.post(reverse("accounts:login"), {"username": "h_victim", "password": "bad"})
    lines = _security(caplog)
    failed = [x for x in lines if x.startswith("login_failed")]
    assert failed
    assert all("username=h_victim" in x and "ip=198.51.100.7" in x for x in failed)
    assert any(
        re.fullmatch(rf"locked_out username=h_victim ip=198\.51\.100\.7 at={ISO_TIME}", x)
        for x in lines
    ), lines


def test_a_successful_login_is_logged(db: None, caplog: pytest.LogCaptureFixture) -> None:
    from tests.factories import UserFactory

    user = UserFactory(username="h_login")
    user.set_password("a-long-enough-password")
    user.save()
    client = Client(REMOTE_ADDR="198.51.100.8")
    with caplog.at_level(logging.INFO, logger=SECURITY):
        response = client.post(
            reverse("accounts:login"),
            {"username": "h_login", "password": "a-long-enough-password"},
        )
    assert response.status_code == 302
    assert any(
        re.fullmatch(rf"login actor={user.pk}:h_login ip=198\.51\.100\.8 at={ISO_TIME}", x)
        for x in _security(caplog)
    ), _security(caplog)


def test_no_log_line_carries_testimony_or_a_protected_name(
    hostile: Hostile, caplog: pytest.LogCaptureFixture
) -> None:
    w = hostile.world
    pages = [
        reverse("cases:person_detail", args=[w.case.pk, w.witness.pk]),
        reverse("cases:persons", args=[w.case.pk]),
        reverse("cases:persons_csv", args=[w.case.pk]),
        reverse("cases:notes", args=[w.case.pk]),
        reverse("cases:note_history", args=[w.case.pk, hostile.note.pk]),
        reverse("cases:person_grants", args=[w.case.pk, w.witness.pk]),
    ]
    with caplog.at_level(logging.DEBUG):
        for user in (w.lead, hostile.analyst, hostile.outsider, hostile.p.liaison_b):
            client = Client()
            client.force_login(user)
            for page in pages:
                client.get(page)
                client.post(page, {"body": NOTE_CANARY, "full_name": WITNESS_NAME})
    assert _security(caplog), "the denials were logged"
    for record in caplog.records:
        text = record.getMessage() + (caplog.text if record.exc_info else "")
        assert CANARY not in text, record.name
        assert NOTE_CANARY not in text, record.name


@pytest.mark.parametrize(
    "path",
    [
        "/cases/%0d%0adenied status=200 actor=1:admin/",
        "/evidence/files/1/download/%0aINFO custos.security: login actor=1:admin",
        "/x\u202e%0d/",
    ],
)
def test_a_path_with_line_breaks_cannot_forge_a_log_line(
    db: None, client: Client, outsider: User, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    client.force_login(outsider)
    with caplog.at_level(logging.INFO):
        assert client.get(path).status_code == 404
    assert _security(caplog), "the refusal was logged"
    for record in caplog.records:
        message = record.getMessage()
        assert "\n" not in message
        assert "\r" not in message
        assert "\u202e" not in message
    [line] = _denied(caplog)
    assert "\\r\\n" in line or "\\n" in line or "\\u202e" in line


def test_a_username_with_line_breaks_cannot_forge_a_log_line(
    db: None, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=SECURITY):
        client.post(
            reverse("accounts:login"),
            {"username": "nobody\r\nlogin actor=1:admin ip=10.0.0.1", "password": "x"},
        )
    lines = _security(caplog)
    assert lines
    assert all("\n" not in x and "\r" not in x for x in lines)
    assert any("username=nobody\\r\\nlogin" in x for x in lines)
