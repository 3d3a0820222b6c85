"""Meetings with partners: who may open each page, overdue follow-up, validation,
notifications, the minutes download and the demo meeting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, User
from accounts.roles import Role
from devdata.demo.meetings import DEMO_MEETING_TITLE, demo_meetings_seed
from partners.meetings import selectors, services
from partners.models import Contact, FollowUpAction, Meeting, PartnerOrganisation
from tests.cases.conftest import SHARED_WORLD
from tests.conftest import audit_actions
from tests.factories import UserFactory
from tests.responses import streamed
from tests.urlwalk import all_routes

pytestmark = SHARED_WORLD  # the case world is built once for the module

MINUTES = b"%PDF-1.4\nminutes of the fictional expert meeting\n"


@dataclass
class World:
    admin: User
    lead: User
    investigator: User
    analyst: User
    liaison: User  # takes part in the meeting
    other_liaison: User  # does not
    training_admin: User
    trainee: User
    outsider: User
    organisation: PartnerOrganisation
    contact: Contact
    meeting: Meeting
    action: FollowUpAction  # owned by the investigator, not done


@pytest.fixture
def world(
    unit_admin: User,
    lead: User,
    investigator: User,
    analyst: User,
    liaison: User,
    training_admin: User,
    trainee: User,
    outsider: User,
) -> World:
    organisation = PartnerOrganisation.objects.create(
        name="Fictional Residual Mechanism",
        acronym="FRM",
        kind=PartnerOrganisation.Kind.TRIBUNAL,
    )
    contact = Contact.objects.create(organisation=organisation, name="Ines Moreau")
    today = timezone.localdate()
    meeting = services.meeting_create(
        actor=lead,
        title="CANARY expert meeting on crater analysis",
        kind=Meeting.Kind.EXPERT,
        start_date=today + timedelta(days=10),
        end_date=today + timedelta(days=11),
        venue="The Hague",
        organiser=organisation,
        agenda="1. Crater analysis",
        participant_contacts=[contact],
        participant_users=[lead, investigator, liaison],
        minutes=SimpleUploadedFile("minutes.pdf", MINUTES, content_type="application/pdf"),
    )
    action = services.action_add(
        meeting=meeting,
        actor=lead,
        owner=investigator,
        description="Send the crater measurements",
        due_date=today + timedelta(days=20),
    )
    return World(
        admin=unit_admin,
        lead=lead,
        investigator=investigator,
        analyst=analyst,
        liaison=liaison,
        other_liaison=UserFactory(username="t_liaison_2", roles=[Role.TRIBUNAL_LIAISON]),
        training_admin=training_admin,
        trainee=trainee,
        outsider=outsider,
        organisation=organisation,
        contact=contact,
        meeting=meeting,
        action=action,
    )


# --- The access matrix ------------------------------------------------------------------------

ACTORS = (
    "admin",
    "lead",
    "investigator",
    "analyst",
    "liaison",
    "other_liaison",
    "training_admin",
    "trainee",
    "outsider",
)


@dataclass(frozen=True)
class Expect:
    method: str
    kwargs: Callable[[World], dict[str, int]]
    codes: dict[str, int]
    data: Callable[[World], dict[str, object]] | None = None


def none(w: World) -> dict[str, int]:
    return {}


def meeting(w: World) -> dict[str, int]:
    return {"pk": w.meeting.pk}


def action(w: World) -> dict[str, int]:
    return {"pk": w.meeting.pk, "action_pk": w.action.pk}


def new_action(w: World) -> dict[str, object]:
    return {
        "action-owner": w.analyst.pk,
        "action-description": "Draft the request for assistance",
        "action-due_date": (timezone.localdate() + timedelta(days=7)).isoformat(),
    }


def readers(ok: int = 200, **special: int) -> dict[str, int]:
    """Who may see the meeting gets ``ok``; everyone else a 404 (its existence stays hidden)."""
    result = {
        "admin": ok,
        "lead": ok,
        "investigator": ok,
        "analyst": ok,
        "liaison": ok,
        "other_liaison": 404,
        "training_admin": 404,
        "trainee": 404,
        "outsider": 404,
    }
    result.update(special)
    return result


def managers(ok: int = 200, **special: int) -> dict[str, int]:
    return readers(ok, **({"investigator": 403, "analyst": 403, "liaison": 403} | special))


MEETING_ROUTES: dict[str, Expect] = {
    "meetings:list": Expect(
        "get", none, readers(other_liaison=200, training_admin=403, trainee=403, outsider=403)
    ),
    "meetings:create": Expect("get", none, {a: 403 for a in ACTORS} | {"admin": 200, "lead": 200}),
    "meetings:detail": Expect("get", meeting, readers()),
    "meetings:minutes": Expect("get", meeting, readers()),
    "meetings:edit": Expect("get", meeting, managers()),
    "meetings:action_add": Expect("post", meeting, managers(302), data=new_action),
    # The owner of an action (here the investigator) may mark it done too.
    "meetings:action_complete": Expect("post", action, managers(302, investigator=302)),
}


def test_every_meeting_url_is_in_the_matrix() -> None:
    names = {r.name for r in all_routes() if r.name.startswith("meetings:")}
    assert names == set(MEETING_ROUTES)


def _url(name: str, world: World) -> str:
    return reverse(name, kwargs=MEETING_ROUTES[name].kwargs(world))


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", sorted(MEETING_ROUTES))
def test_meeting_url_access(client: Client, world: World, name: str, actor: str) -> None:
    expect = MEETING_ROUTES[name]
    client.force_login(getattr(world, actor))
    data = expect.data(world) if expect.data else {}
    response = getattr(client, expect.method)(_url(name, world), data)
    assert response.status_code == expect.codes[actor], f"{actor} on {name}"
    if response.status_code in (403, 404) and not response.streaming:
        assert "CANARY" not in response.content.decode()


@pytest.mark.parametrize("name", sorted(MEETING_ROUTES))
def test_anonymous_users_are_sent_to_login(client: Client, world: World, name: str) -> None:
    expect = MEETING_ROUTES[name]
    response = getattr(client, expect.method)(_url(name, world))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_liaison_lists_only_the_meetings_they_take_part_in(client: Client, world: World) -> None:
    client.force_login(world.other_liaison)
    page = client.get(reverse("meetings:list")).content.decode()
    assert "CANARY" not in page
    assert "0 meetings" in page
    client.force_login(world.liaison)
    assert "CANARY" in client.get(reverse("meetings:list")).content.decode()


def test_a_meeting_that_does_not_exist_is_a_404(client: Client, world: World) -> None:
    client.force_login(world.lead)
    assert client.get(reverse("meetings:detail", args=[world.meeting.pk + 1000])).status_code == 404


def test_reading_a_meeting_is_audited(client: Client, world: World) -> None:
    client.force_login(world.analyst)
    page = client.get(_url("meetings:detail", world)).content.decode()
    assert "Ines Moreau" in page
    assert "FRM" in page
    assert audit_actions(actor=world.analyst, action__startswith="meeting.") == ["meeting.viewed"]


# --- Overdue follow-up ------------------------------------------------------------------------


def test_an_overdue_action_is_flagged_in_the_list_and_on_the_meeting(
    client: Client, world: World
) -> None:
    today = timezone.localdate()
    late = services.action_add(
        meeting=world.meeting,
        actor=world.lead,
        owner=world.analyst,
        description="Share the witness list",
        due_date=today - timedelta(days=1),
    )
    finished = services.action_add(
        meeting=world.meeting,
        actor=world.lead,
        owner=world.analyst,
        description="Book the room",
        due_date=today - timedelta(days=3),
    )
    services.action_complete(action=finished, actor=world.analyst)

    client.force_login(world.investigator)
    listing = client.get(reverse("meetings:list")).content.decode()
    assert "1 overdue action" in listing
    assert "Share the witness list" in listing  # the overdue actions table
    assert "Book the room" not in listing
    detail = client.get(_url("meetings:detail", world)).content.decode()
    assert "1 follow-up action is overdue." in detail
    assert detail.count(">Overdue</span>") == 1
    assert list(selectors.overdue_actions(world.investigator)) == [late]


def test_overdue_actions_of_hidden_meetings_are_not_listed(world: World) -> None:
    services.action_add(
        meeting=world.meeting,
        actor=world.lead,
        owner=world.analyst,
        description="Late",
        due_date=timezone.localdate() - timedelta(days=1),
    )
    assert selectors.overdue_actions(world.liaison).count() == 1
    assert selectors.overdue_actions(world.other_liaison).count() == 0
    assert selectors.overdue_actions(world.trainee).count() == 0


def test_the_owner_marks_their_action_done(client: Client, world: World) -> None:
    client.force_login(world.investigator)
    response = client.post(_url("meetings:action_complete", world), follow=True)
    assert "The follow-up action is marked as done." in response.content.decode()
    world.action.refresh_from_db()
    assert world.action.done
    assert world.action.done_by == world.investigator
    assert "meeting.action_completed" in audit_actions(actor=world.investigator)


def test_filtering_by_kind_and_time(client: Client, world: World) -> None:
    today = timezone.localdate()
    services.meeting_create(
        actor=world.lead,
        title="Past network meeting",
        kind=Meeting.Kind.NETWORK,
        start_date=today - timedelta(days=30),
        end_date=today - timedelta(days=30),
        online=True,
    )
    client.force_login(world.analyst)
    past = client.get(reverse("meetings:list"), {"when": "past"}).content.decode()
    assert "Past network meeting" in past
    assert "CANARY" not in past
    expert = client.get(reverse("meetings:list"), {"kind": "expert"}).content.decode()
    assert "CANARY" in expert
    assert "Past network meeting" not in expert


# --- Forms ------------------------------------------------------------------------------------


def _meeting_post(world: World, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Operational meeting with FRM",
        "kind": Meeting.Kind.OPERATIONAL,
        "start_date": "2026-03-10",
        "end_date": "2026-03-11",
        "venue": "Arusha",
        "organiser": "",
        "participant_contacts": [world.contact.pk],
        "participant_users": [world.liaison.pk, world.analyst.pk],
        "agenda": "Requests for assistance",
    }
    data.update(changes)
    return data


def test_a_meeting_ending_before_it_starts_is_refused_and_nothing_is_saved(
    client: Client, world: World
) -> None:
    client.force_login(world.lead)
    before = Meeting.objects.count()
    response = client.post(
        reverse("meetings:create"),
        _meeting_post(world, start_date="2026-03-10", end_date="2026-03-09"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "The meeting ends before it starts." in page
    assert 'value="Operational meeting with FRM"' in page  # what the user typed stays
    assert Meeting.objects.count() == before


def test_a_meeting_needs_a_venue_or_to_be_online(client: Client, world: World) -> None:
    client.force_login(world.lead)
    before = Meeting.objects.count()
    response = client.post(reverse("meetings:create"), _meeting_post(world, venue=""))
    assert "Give a venue or mark the meeting as online." in response.content.decode()
    assert Meeting.objects.count() == before


def test_recording_a_meeting_organised_by_the_unit(client: Client, world: World) -> None:
    client.force_login(world.admin)
    response = client.post(reverse("meetings:create"), _meeting_post(world), follow=True)
    page = response.content.decode()
    assert "The meeting has been recorded." in page
    created = Meeting.objects.get(title="Operational meeting with FRM")
    assert created.organiser is None
    assert "The unit" in page
    assert set(created.participant_users.all()) == {world.liaison, world.analyst}
    assert "meeting.created" in audit_actions(actor=world.admin)


def test_editing_a_meeting_audits_what_changed(client: Client, world: World) -> None:
    client.force_login(world.lead)
    data = _meeting_post(world, title="Renamed meeting", organiser=world.organisation.pk)
    response = client.post(_url("meetings:edit", world), data, follow=True)
    assert "The meeting has been saved." in response.content.decode()
    world.meeting.refresh_from_db()
    assert world.meeting.title == "Renamed meeting"
    from audit.models import AuditEvent

    event = AuditEvent.objects.filter(action="meeting.updated").get()
    assert "title" in event.details["fields"]
    assert "participant_users" in event.details["fields"]


def test_a_trainee_cannot_be_made_a_participant(world: World) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.meeting_create(
            actor=world.lead,
            title="Not for trainees",
            kind=Meeting.Kind.EXPERT,
            start_date=date(2026, 1, 1),
            end_date=date(2026, 1, 1),
            online=True,
            participant_users=[world.trainee],
        )


# --- Follow-up actions ------------------------------------------------------------------------


def test_the_owner_of_a_new_action_is_notified(client: Client, world: World) -> None:
    client.force_login(world.lead)
    response = client.post(_url("meetings:action_add", world), new_action(world), follow=True)
    assert "The follow-up action has been added." in response.content.decode()
    notification = Notification.objects.get(user=world.analyst)
    assert notification.title == "A follow-up action from a meeting is assigned to you"
    assert "Draft the request for assistance" in notification.body
    assert notification.url == _url("meetings:detail", world)
    client.force_login(world.analyst)
    inbox = client.get(reverse("accounts:notifications")).content.decode()
    assert "A follow-up action from a meeting is assigned to you" in inbox


def test_an_action_cannot_go_to_a_liaison_outside_the_meeting(client: Client, world: World) -> None:
    client.force_login(world.lead)
    data = new_action(world) | {"action-owner": world.other_liaison.pk}
    response = client.post(_url("meetings:action_add", world), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not FollowUpAction.objects.filter(owner=world.other_liaison).exists()
    assert not Notification.objects.filter(user=world.other_liaison).exists()


# --- Minutes ----------------------------------------------------------------------------------


def test_the_minutes_download_is_an_audited_attachment(client: Client, world: World) -> None:
    client.force_login(world.liaison)
    response = client.get(_url("meetings:minutes", world))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="minutes.pdf"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert streamed(response) == MINUTES
    assert audit_actions(actor=world.liaison, action__startswith="meeting.") == [
        "meeting.minutes_downloaded"
    ]


def test_new_minutes_uploaded_with_the_edit_form_are_the_ones_downloaded(
    client: Client, world: World
) -> None:
    client.force_login(world.lead)
    data = _meeting_post(world) | {
        "minutes": SimpleUploadedFile("final minutes.txt", b"final version"),
    }
    client.post(_url("meetings:edit", world), data)
    response = client.get(_url("meetings:minutes", world))
    assert streamed(response) == b"final version"
    assert "final_minutes.txt" in response["Content-Disposition"]
    assert "meeting.minutes_attached" in audit_actions(actor=world.lead)


def test_a_meeting_without_minutes_has_nothing_to_download(client: Client, world: World) -> None:
    bare = services.meeting_create(
        actor=world.lead,
        title="No minutes",
        kind=Meeting.Kind.NETWORK,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 1, 1),
        online=True,
    )
    client.force_login(world.lead)
    assert client.get(reverse("meetings:minutes", args=[bare.pk])).status_code == 404
    assert (
        "No minutes yet." in client.get(reverse("meetings:detail", args=[bare.pk])).content.decode()
    )


# --- Demo -------------------------------------------------------------------------------------


def test_the_demo_meeting_is_created_once(db: None) -> None:
    for username, role in (
        ("lead", Role.CASE_LEAD),
        ("investigator", Role.INVESTIGATOR),
        ("liaison", Role.TRIBUNAL_LIAISON),
    ):
        UserFactory(username=username, roles=[role])
    assert demo_meetings_seed() == 1
    assert demo_meetings_seed() == 0
    demo = Meeting.objects.get(title=DEMO_MEETING_TITLE)
    assert Meeting.objects.count() == 1
    assert demo.organiser is None  # no partner organisation exists yet
    assert {u.username for u in demo.participant_users.all()} == {
        "lead",
        "investigator",
        "liaison",
    }
    assert demo.actions.count() == 2
    assert [a.owner.username for a in demo.actions.all() if a.is_overdue] == ["investigator"]


def test_the_demo_meeting_invites_existing_partner_contacts(db: None) -> None:
    UserFactory(username="lead", roles=[Role.CASE_LEAD])
    organisation = PartnerOrganisation.objects.create(
        name="Demo partner", kind=PartnerOrganisation.Kind.NGO
    )
    Contact.objects.create(organisation=organisation, name="Demo contact")
    assert demo_meetings_seed() == 1
    demo = Meeting.objects.get(title=DEMO_MEETING_TITLE)
    assert demo.organiser == organisation
    assert [c.name for c in demo.participant_contacts.all()] == ["Demo contact"]
