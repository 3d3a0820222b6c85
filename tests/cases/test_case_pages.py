"""Opening and editing cases, incidents, persons, team and notes through the pages, with
bad input re-rendered and nothing saved."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Clearance
from accounts.roles import Role
from audit.models import AuditEvent
from cases import services
from cases.models import Case, CaseMember, CaseNote, CaseReferenceCounter, Incident
from tests.cases.conftest import World, open_case
from tests.factories import UserFactory

CASE_FORM = {
    "title": "Detention centre abuses",
    "summary": "Reports of torture in a detention centre.",
    "situation": "Fictional conflict",
    "countries": ["SY", "LB"],
    "period_start": "2023-01-01",
    "period_end": "2023-12-31",
    "classification": str(Clearance.CONFIDENTIAL),
    "priority": "high",
    "referral_source": "UN commission",
}


def test_an_investigator_opens_a_case_and_becomes_its_lead(client: Client, investigator) -> None:
    client.force_login(investigator)
    response = client.post(reverse("cases:create"), CASE_FORM)
    case = Case.objects.get()
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    year = timezone.localdate().year
    assert case.reference == f"WCU-{year}-0001"
    assert case.members.get().user == investigator
    assert case.members.get().role == CaseMember.Role.LEAD
    assert {str(c) for c in case.countries} == {"SY", "LB"}
    page = client.get(response["Location"]).content.decode()
    assert "Detention centre abuses" in page
    assert "Syria" in page
    assert AuditEvent.objects.filter(action="case.created", case_id=case.pk).exists()
    assert AuditEvent.objects.filter(action="case.viewed", case_id=case.pk).exists()


def test_a_period_ending_before_it_starts_is_refused_and_nothing_is_saved(
    client: Client, investigator
) -> None:
    client.force_login(investigator)
    response = client.post(reverse("cases:create"), {**CASE_FORM, "period_end": "2022-01-01"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "The end of the period is before its start." in html
    assert "Detention centre abuses" in html  # what the user typed is kept
    assert not Case.objects.exists()
    assert not CaseReferenceCounter.objects.filter(last_number__gt=0).exists()


def test_an_unknown_country_is_refused(client: Client, investigator) -> None:
    client.force_login(investigator)
    response = client.post(reverse("cases:create"), {**CASE_FORM, "countries": ["XX"]})
    assert "is not one of the available choices" in response.content.decode()
    assert not Case.objects.exists()


def test_nobody_can_classify_a_case_above_their_clearance(client: Client, investigator) -> None:
    client.force_login(investigator)  # cleared for confidential
    response = client.post(
        reverse("cases:create"), {**CASE_FORM, "classification": str(Clearance.SECRET)}
    )
    assert response.status_code == 200
    assert not Case.objects.exists()


def test_analysts_and_liaisons_cannot_open_cases(client: Client, analyst, liaison) -> None:
    for user in (analyst, liaison):
        client.force_login(user)
        assert client.get(reverse("cases:create")).status_code == 403


def test_references_are_sequential_per_year(investigator) -> None:
    first, second = open_case(investigator), open_case(investigator)
    assert (first.number, second.number) == (1, 2)
    assert second.reference.endswith("-0002")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_case_creation_never_duplicates_a_reference() -> None:
    lead = UserFactory(username="race_lead", roles=[Role.CASE_LEAD])
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def create() -> None:
        try:
            barrier.wait()
            open_case(lead)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    numbers = sorted(Case.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 9))  # unique and gap-free
    assert len(set(Case.objects.values_list("reference", flat=True))) == 8


def test_recording_an_incident_with_bad_dates_keeps_the_input(client: Client, world: World) -> None:
    client.force_login(world.investigator)
    url = reverse("cases:incident_create", args=[world.case.pk])
    tomorrow = timezone.localdate() + timedelta(days=1)
    base = {
        "title": "Convoy attacked",
        "date_precision": "day",
        "place_name": "Route 7",
        "country": "UA",
    }
    future = client.post(url, {**base, "date_start": tomorrow.isoformat()})
    assert "An incident cannot be in the future." in future.content.decode()
    backwards = client.post(url, {**base, "date_start": "2024-05-02", "date_end": "2024-05-01"})
    assert "The end date is before the start date." in backwards.content.decode()
    half = client.post(url, {**base, "date_start": "2024-05-02", "latitude": "48.5"})
    assert "Give both latitude and longitude" in half.content.decode()
    assert "Convoy attacked" in half.content.decode()
    assert Incident.objects.filter(title="Convoy attacked").count() == 0
    ok = client.post(
        url, {**base, "date_start": "2024-05-02", "latitude": "48.5", "longitude": "37.9"}
    )
    assert ok.status_code == 302
    assert Incident.objects.filter(title="Convoy attacked").count() == 1


def test_a_duplicate_team_member_is_refused_with_a_message(client: Client, world: World) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="already on the team"):
        services.case_member_add(
            case=world.case, actor=world.lead, user=world.investigator, role="investigator"
        )
    client.force_login(world.lead)
    response = client.post(
        reverse("cases:team_add", args=[world.case.pk]),
        {"user": world.investigator.pk, "role": "investigator"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert world.case.members.filter(user=world.investigator).count() == 1


def test_an_uncleared_user_cannot_join_the_team(world: World) -> None:
    from django.core.exceptions import ValidationError

    world.case.classification = Clearance.SECRET
    world.case.save()
    with pytest.raises(ValidationError, match="not cleared"):
        services.case_member_add(
            case=world.case, actor=world.lead, user=world.colleague, role="investigator"
        )


def test_the_last_lead_cannot_be_removed(world: World) -> None:
    from django.core.exceptions import ValidationError

    lead = world.case.members.get(user=world.lead)
    with pytest.raises(ValidationError, match="at least one case lead"):
        services.case_member_remove(case=world.case, actor=world.lead, member=lead)


def test_notes_keep_every_version(client: Client, world: World) -> None:
    client.force_login(world.investigator)
    client.post(reverse("cases:notes", args=[world.case.pk]), {"body": "First wording"})
    note = CaseNote.objects.get()
    client.post(
        reverse("cases:note_edit", args=[world.case.pk, note.pk]), {"body": "Second wording"}
    )
    history = client.get(
        reverse("cases:note_history", args=[world.case.pk, note.pk])
    ).content.decode()
    assert "First wording" in history
    assert "Second wording" in history
    note.refresh_from_db()
    assert note.version == 2
    assert list(note.revisions.values_list("version", "body")) == [
        (2, "Second wording"),
        (1, "First wording"),
    ]


def test_break_glass_is_justified_audited_and_announced(client: Client, world: World) -> None:
    client.force_login(world.unit_admin)
    url = reverse("cases:break_glass", args=[world.case.pk])
    empty = client.post(url, {"justification": "", "hours": 2})
    assert "This field is required." in empty.content.decode()
    response = client.post(
        url, {"justification": "Witness in danger, lead unreachable", "hours": 2}
    )
    assert response["Location"] == reverse("cases:detail", args=[world.case.pk])
    event = AuditEvent.objects.get(action="case.break_glass")
    assert event.details["justification"] == "Witness in danger, lead unreachable"
    assert world.lead.notifications.filter(title__icontains="break-glass").exists()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert AuditEvent.objects.filter(
        action="case.viewed", actor=world.unit_admin, details__break_glass=True
    ).exists()


def test_the_timeline_puts_incidents_and_status_changes_in_order(
    client: Client, world: World
) -> None:
    services.case_transition(
        case=world.case, actor=world.lead, to_status="preliminary_assessment", reason="ok"
    )
    client.force_login(world.analyst)
    html = client.get(reverse("cases:timeline", args=[world.case.pk])).content.decode()
    # The incident (2024) comes before the status change (today).
    assert html.index("Market shelled at noon") < html.index("Status: Preliminary assessment")


def test_filters_narrow_the_case_list(client: Client, world: World) -> None:
    other = open_case(world.lead, title="Siege of the river town", countries=["SY"], sgbv=True)
    services.case_transition(
        case=other, actor=world.lead, to_status="preliminary_assessment", reason="x"
    )
    client.force_login(world.lead)
    url = reverse("cases:list")
    by_country = client.get(url, {"country": "SY"}).content.decode()
    assert "Siege of the river town" in by_country
    assert "Shelling of the old market" not in by_country
    by_status = client.get(url, {"status": "intake"}).content.decode()
    assert "Shelling of the old market" in by_status
    assert "Siege of the river town" not in by_status
    by_crime = client.get(url, {"crime_category": "war_crimes"}).content.decode()
    assert "Shelling of the old market" in by_crime
    assert "Siege of the river town" not in by_crime
    by_text = client.get(url, {"q": "shelling"}).content.decode()
    assert "Shelling of the old market" in by_text
    assert "Siege of the river town" not in by_text
    by_period = client.get(url, {"period_from": "2025-01-01"}).content.decode()
    assert "Shelling of the old market" not in by_period
    sorted_by_title = client.get(url, {"order": "title"}).content.decode()
    assert sorted_by_title.index("Shelling") < sorted_by_title.index("Siege")


def _list_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("cases:list"))
    assert response.status_code == 200
    return len(queries)


def test_the_case_list_runs_a_constant_number_of_queries(client: Client, lead) -> None:
    for _ in range(5):
        open_case(lead)
    client.force_login(lead)
    with_five = _list_queries(client)
    for _ in range(45):
        open_case(lead, countries=["UA", "SY"])
    with_fifty = _list_queries(client)
    assert with_five == with_fifty


def test_colleagues_see_only_their_own_cases_in_the_list(client: Client, world: World) -> None:
    open_case(world.lead, title="CANARY other team case")
    mine = open_case(UserFactory(username="other_lead", roles=[Role.CASE_LEAD]), title="Theirs")
    client.force_login(world.investigator)
    html = client.get(reverse("cases:list")).content.decode()
    assert "Shelling of the old market" in html
    assert "CANARY other team case" not in html
    assert mine.title not in html
