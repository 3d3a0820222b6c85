"""A protected witness's name reaches only the users granted it: in no list, page, search,
timeline, export or HTML source of anyone else."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from accounts.auth_session import AUTH_AT_KEY
from audit.models import AuditEvent
from cases import services
from cases.models import CasePerson
from tests.cases.conftest import SHARED_WORLD, SUSPECT_NAME, WITNESS_NAME, World, open_case
from tests.conftest import text_of

pytestmark = SHARED_WORLD  # the case world is built once for the module

PAGES = ("persons", "persons_csv", "detail", "timeline", "activity", "notes", "incidents")


def _all_pages(client: Client, world: World) -> str:
    case = world.case.pk
    bodies = [text_of(client.get(reverse(f"cases:{name}", args=[case]))) for name in PAGES]
    bodies.append(
        client.get(reverse("cases:person_detail", args=[case, world.witness.pk])).content.decode()
    )
    bodies.append(client.get(reverse("cases:list")).content.decode())
    return "\n".join(bodies)


@pytest.mark.parametrize("who", ["investigator", "analyst", "break_glass"])
def test_users_without_the_grant_see_only_the_pseudonym(
    client: Client, world: World, who: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue("break_glass") if who == "break_glass" else getattr(world, who)
    client.force_login(user)
    everything = _all_pages(client, world)
    assert "CANARY-WITNESS" not in everything
    assert world.witness.pseudonym in everything
    assert world.witness.pseudonym == "W-0001"
    assert SUSPECT_NAME in everything  # an unprotected person is shown by name


def test_the_person_who_protected_the_witness_sees_the_name_and_it_is_audited(
    client: Client, world: World
) -> None:
    client.force_login(world.lead)
    page = client.get(reverse("cases:person_detail", args=[world.case.pk, world.witness.pk]))
    assert WITNESS_NAME in page.content.decode()
    viewed = AuditEvent.objects.filter(action="person.identity_viewed", actor=world.lead)
    assert viewed.count() == 1
    assert viewed.get().target_label == "W-0001"  # the audit trail itself holds no name
    assert "CANARY" not in "".join(AuditEvent.objects.values_list("target_label", flat=True))


def test_searching_by_a_protected_name_finds_nothing_but_the_pseudonym_finds_the_case(
    client: Client, world: World
) -> None:
    client.force_login(world.investigator)
    by_name = client.get(reverse("cases:list"), {"q": "Zaynab"}).content.decode()
    assert world.case.reference not in by_name
    by_pseudonym = client.get(reverse("cases:list"), {"q": "W-0001"}).content.decode()
    assert world.case.reference in by_pseudonym
    assert "Zaynab" not in world.case.__class__.objects.get(pk=world.case.pk).search_document


def test_a_grant_shows_the_name_and_a_revocation_hides_it_on_the_next_request(
    client: Client, world: World
) -> None:
    services.identity_grant(case_person=world.witness, actor=world.lead, user=world.investigator)
    url = reverse("cases:person_detail", args=[world.case.pk, world.witness.pk])
    client.force_login(world.investigator)
    assert WITNESS_NAME in client.get(url).content.decode()
    services.identity_revoke(case_person=world.witness, actor=world.lead, user=world.investigator)
    assert "CANARY-WITNESS" not in client.get(url).content.decode()


def test_granting_asks_for_a_fresh_login_and_is_audited(client: Client, world: World) -> None:
    client.force_login(world.lead)
    session = client.session
    session[AUTH_AT_KEY] = int(time.time()) - 3600
    session.save()
    url = reverse("cases:person_grants", args=[world.case.pk, world.witness.pk])
    assert client.get(url)["Location"].startswith("/accounts/reauth/")
    session = client.session
    session[AUTH_AT_KEY] = int(time.time())
    session.save()
    response = client.post(url, {"user": world.analyst.pk})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="person.identity_granted", details__kind="decision")
    assert event.details == {
        "user": world.analyst.username,
        "user_id": world.analyst.pk,
        "case_person": world.witness.pk,
        "kind": "decision",
    }
    assert event.actor == world.lead
    assert world.analyst.notifications.filter(title__icontains="protected identity").exists()


def test_only_team_members_can_be_granted(world: World) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.identity_grant(case_person=world.witness, actor=world.lead, user=world.colleague)


def test_a_protected_person_cannot_be_edited_without_the_identity(
    client: Client, world: World
) -> None:
    client.force_login(world.investigator)
    url = reverse("cases:person_edit", args=[world.case.pk, world.witness.pk])
    assert client.get(url).status_code == 403


def test_the_registry_never_offers_a_protected_person_to_users_without_the_grant(
    client: Client, world: World
) -> None:
    second = open_case(world.lead, title="Second case")
    services.case_member_add(
        case=second, actor=world.lead, user=world.investigator, role="investigator"
    )
    client.force_login(world.investigator)
    html = client.get(
        reverse("cases:person_link", args=[second.pk]), {"q": "Zaynab"}
    ).content.decode()
    assert "CANARY-WITNESS" not in html
    html = client.get(
        reverse("cases:person_link", args=[second.pk]), {"q": "Dragan"}
    ).content.decode()
    assert SUSPECT_NAME in html


def test_protecting_an_existing_person_assigns_the_next_pseudonym(world: World) -> None:
    protected = services.case_person_protect(
        case_person=world.suspect, actor=world.investigator, measures=["closed_session"]
    )
    assert protected.pseudonym == "S-0001"
    assert set(protected.measures.values_list("kind", flat=True)) == {"closed_session"}
    assert services.identity_visible_to(world.investigator, protected)
    assert not services.identity_visible_to(world.analyst, protected)


def test_new_protected_person_gets_a_pseudonym_per_case_and_role(world: World) -> None:
    second = services.case_person_add(
        case=world.case,
        actor=world.lead,
        role=CasePerson.Role.INSIDER_WITNESS,
        full_name="Another Witness",
        protect=True,
    )
    victim = services.case_person_add(
        case=world.case,
        actor=world.lead,
        role=CasePerson.Role.VICTIM,
        full_name="A Victim",
        protect=True,
    )
    assert (second.pseudonym, victim.pseudonym) == ("W-0002", "V-0001")


def test_the_csv_export_is_audited_and_masks_the_witness(client: Client, world: World) -> None:
    client.force_login(world.analyst)
    response = client.get(reverse("cases:persons_csv", args=[world.case.pk]))
    body = text_of(response)
    assert response["Content-Type"].startswith("text/csv")
    assert "W-0001" in body
    assert "CANARY" not in body
    assert AuditEvent.objects.filter(action="case.persons_exported", actor=world.analyst).exists()


def test_removing_a_member_also_removes_their_identity_grants(world: World) -> None:
    services.identity_grant(case_person=world.witness, actor=world.lead, user=world.investigator)
    member = world.case.members.get(user=world.investigator)
    services.case_member_remove(case=world.case, actor=world.lead, member=member)
    services.case_member_add(
        case=world.case, actor=world.lead, user=world.investigator, role="investigator"
    )
    assert not services.identity_visible_to(world.investigator, world.witness)


def test_unit_admin_manages_the_team_without_reading_the_case(client: Client, world: World) -> None:
    client.force_login(world.unit_admin)
    page = client.get(reverse("cases:team", args=[world.case.pk])).content.decode()
    assert world.case.reference in page
    assert world.investigator.username in page
    assert world.case.title not in page
    assert "CANARY" not in page
    overview = client.get(reverse("cases:team_admin")).content.decode()
    assert world.case.reference in overview
    assert world.case.title not in overview
