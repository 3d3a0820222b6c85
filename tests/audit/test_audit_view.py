"""The audit view: unit admins only, read-only, filterable, and itself audited."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_record

URL = "/audit/"


@pytest.fixture
def trail(investigator: User, analyst: User) -> None:
    audit_record(actor=investigator, action="case.viewed", details={"marker": "CANARY-INV"})
    audit_record(actor=analyst, action="auth.login", details={"marker": "CANARY-ANA"})


def test_anonymous_is_sent_to_login(client: Client, db: None) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ["investigator", "lead", "analyst", "liaison", "outsider"])
def test_other_roles_are_refused(
    client: Client, db: None, role: str, request: pytest.FixtureRequest, trail: None
) -> None:
    client.force_login(request.getfixturevalue(role))
    response = client.get(URL)
    assert response.status_code == 403
    assert "CANARY" not in response.content.decode()


def test_unit_admin_reads_the_trail_and_the_read_is_audited(
    client: Client, unit_admin: User, trail: None
) -> None:
    client.force_login(unit_admin)
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "case.viewed" in html
    assert "CANARY-INV" in html
    assert AuditEvent.objects.filter(actor=unit_admin, action="audit.viewed").count() == 1


def test_filters_narrow_the_trail(
    client: Client, unit_admin: User, investigator: User, trail: None
) -> None:
    client.force_login(unit_admin)
    html = client.get(URL, {"actor": investigator.username}).content.decode()
    assert "CANARY-INV" in html
    assert "CANARY-ANA" not in html
    html = client.get(URL, {"action": "auth."}).content.decode()
    assert "CANARY-ANA" in html
    assert "CANARY-INV" not in html
    event = AuditEvent.objects.filter(action="audit.viewed").order_by("id").last()
    # Which filters were used; their text is in the search row, withheld if it names someone.
    assert event.details == {"filters": ["action"]}


def test_a_malformed_filter_is_an_empty_result_not_an_error(
    client: Client, unit_admin: User, trail: None
) -> None:
    client.force_login(unit_admin)
    response = client.get(URL, {"ip": "not-an-ip", "since": "yesterday"})
    assert response.status_code == 200
    assert "CANARY" not in response.content.decode()


def test_the_trail_has_no_write_methods(client: Client, unit_admin: User) -> None:
    client.force_login(unit_admin)
    assert client.post(URL).status_code == 405
