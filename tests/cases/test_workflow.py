"""The status workflow: which role may take which step, with a reason, recorded."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from cases import services
from cases.models import Case, StatusChange
from tests.cases.conftest import SHARED_WORLD, World

pytestmark = SHARED_WORLD  # the case world is built once for the module

S = Case.Status


def _post(client: Client, world: World, to: str, reason: str = "Assessment done"):
    return client.post(
        reverse("cases:transition", args=[world.case.pk]), {"to_status": to, "reason": reason}
    )


def test_an_investigator_may_move_intake_to_preliminary_assessment(
    client: Client, world: World
) -> None:
    client.force_login(world.investigator)
    assert _post(client, world, S.PRELIMINARY).status_code == 302
    world.case.refresh_from_db()
    assert world.case.status == S.PRELIMINARY
    change = StatusChange.objects.filter(case=world.case).order_by("id").last()
    assert (change.from_status, change.to_status, change.actor) == (
        S.INTAKE,
        S.PRELIMINARY,
        world.investigator,
    )
    assert change.reason == "Assessment done"
    event = AuditEvent.objects.get(action="case.status_changed")
    assert event.details == {"from": S.INTAKE, "to": S.PRELIMINARY}
    assert world.lead.notifications.filter(title__icontains="changed status").exists()


def test_an_investigator_may_not_open_the_active_investigation(
    client: Client, world: World
) -> None:
    services.case_transition(case=world.case, actor=world.lead, to_status=S.PRELIMINARY, reason="x")
    client.force_login(world.investigator)
    response = _post(client, world, S.ACTIVE)
    assert response.status_code == 200
    assert "Your role on this case allows no change from this status." in response.content.decode()
    world.case.refresh_from_db()
    assert world.case.status == S.PRELIMINARY
    with pytest.raises(ValidationError, match="role on this case"):
        services.case_transition(
            case=world.case, actor=world.investigator, to_status=S.ACTIVE, reason="x"
        )


def test_a_step_that_does_not_exist_is_refused_with_a_clear_message(world: World) -> None:
    with pytest.raises(ValidationError, match="cannot move from"):
        services.case_transition(
            case=world.case, actor=world.lead, to_status=S.ARCHIVED, reason="x"
        )
    world.case.refresh_from_db()
    assert world.case.status == S.INTAKE


def test_the_reason_is_required(client: Client, world: World) -> None:
    client.force_login(world.lead)
    response = _post(client, world, S.PRELIMINARY, reason="")
    assert "This field is required." in response.content.decode()
    world.case.refresh_from_db()
    assert world.case.status == S.INTAKE


def test_the_lead_takes_a_case_through_the_whole_workflow(world: World) -> None:
    path = [S.PRELIMINARY, S.ACTIVE, S.SUSPENDED, S.ACTIVE, S.REFERRED, S.CLOSED, S.ARCHIVED]
    for status in path:
        services.case_transition(case=world.case, actor=world.lead, to_status=status, reason=status)
    world.case.refresh_from_db()
    assert world.case.status == S.ARCHIVED
    steps = list(StatusChange.objects.filter(case=world.case).values_list("to_status", flat=True))
    assert steps == [S.INTAKE, *path]


def test_an_analyst_cannot_change_the_status(client: Client, world: World) -> None:
    client.force_login(world.analyst)
    assert _post(client, world, S.PRELIMINARY).status_code == 403
