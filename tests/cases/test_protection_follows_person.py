"""Protection follows the person: a protected witness linked into another case is protected
there too, the shared registry record belongs to the case that recorded it, and an identity
is granted by someone who holds it to someone else (four eyes)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from audit.models import AuditEvent
from audit.services import audit_record
from cases import services
from cases.access_state import access_state_verify
from cases.models import Case, CasePerson, IdentityGrant
from tests.cases.conftest import SHARED_WORLD, SUSPECT_NAME, World, open_case
from tests.conftest import text_of
from tests.factories import UserFactory

pytestmark = SHARED_WORLD  # the case world is built once for the module


@dataclass
class Second:
    """A second case of the unit, with a team of its own: its lead and investigator are on no
    other case."""

    case: Case
    lead: User
    investigator: User


@pytest.fixture
def second(world: World) -> Second:
    lead = UserFactory(username="s_lead", roles=[Role.CASE_LEAD])
    investigator = UserFactory(username="s_inv", roles=[Role.INVESTIGATOR])
    case = open_case(lead, title="Detention at the river camp")
    services.case_member_add(case=case, actor=lead, user=investigator, role="investigator")
    # The first case's lead joins to link the witness they protected there.
    services.case_member_add(case=case, actor=lead, user=world.lead, role="investigator")
    return Second(case, lead, investigator)


def _link(world: World, second: Second, case_person: CasePerson, actor: User) -> CasePerson:
    return services.case_person_add(
        case=second.case, actor=actor, role=CasePerson.Role.VICTIM, person=case_person.person
    )


def test_a_protected_witness_linked_into_another_case_is_protected_there(
    client: Client, world: World, second: Second
) -> None:
    linked = _link(world, second, world.witness, world.lead)
    assert linked.protected
    assert linked.pseudonym == "V-0001"
    assert linked.measures.filter(kind="identity_non_disclosure").exists()
    # The second case's own members were granted nothing: the pseudonym only, everywhere.
    client.force_login(second.investigator)
    pages = [
        reverse("cases:persons", args=[second.case.pk]),
        reverse("cases:persons_csv", args=[second.case.pk]),
        reverse("cases:person_detail", args=[second.case.pk, linked.pk]),
    ]
    for url in pages:
        body = text_of(client.get(url))
        assert "CANARY-WITNESS" not in body
        assert "V-0001" in body
    by_name = client.get(reverse("cases:list"), {"q": "Zaynab"}).content.decode()
    assert second.case.reference not in by_name
    by_pseudonym = client.get(reverse("cases:list"), {"q": "V-0001"}).content.decode()
    assert second.case.reference in by_pseudonym
    html = client.get(reverse("cases:person_link", args=[second.case.pk]), {"q": "Zaynab"})
    assert "CANARY-WITNESS" not in html.content.decode()
    # The lead who linked them knows who they are, and keeps the identity here, on record.
    assert services.identity_visible_to(world.lead, linked)
    grant = IdentityGrant.objects.get(case_person=linked, user=world.lead)
    assert (grant.kind, grant.granted_by) == (IdentityGrant.Kind.FOLLOWS, world.lead)
    assert not services.identity_visible_to(second.lead, linked)
    assert access_state_verify() == []


def test_a_protected_person_can_be_linked_only_by_someone_who_holds_their_identity(
    world: World, second: Second
) -> None:
    with pytest.raises(PermissionDenied):
        _link(world, second, world.witness, second.lead)
    assert not CasePerson.objects.filter(case=second.case).exists()


def test_protecting_a_person_protects_them_in_every_case_that_links_them(
    client: Client, world: World, second: Second
) -> None:
    linked = _link(world, second, world.suspect, second.lead)
    assert not linked.protected
    services.case_person_protect(
        case_person=world.suspect, actor=world.lead, measures=["closed_session"]
    )
    linked.refresh_from_db()
    assert linked.protected
    assert linked.pseudonym == "V-0001"
    followed = AuditEvent.objects.get(
        action="person.protected", target_id=str(linked.pk), case_id=second.case.pk
    )
    assert followed.details["follows"] == world.suspect.pk
    assert followed.actor == world.lead
    # The protector, a member of the second case too, keeps the identity there, and so does
    # the second case's lead, who linked them and decides who else may; nobody else.
    assert services.identity_visible_to(world.lead, linked)
    assert services.identity_visible_to(second.lead, linked)
    grant = IdentityGrant.objects.get(case_person=linked, user=second.lead)
    assert (grant.kind, grant.granted_by) == (IdentityGrant.Kind.FOLLOWS, world.lead)
    assert not services.identity_visible_to(second.investigator, linked)
    client.force_login(second.investigator)
    body = client.get(reverse("cases:persons", args=[second.case.pk])).content.decode()
    assert SUSPECT_NAME not in body
    assert "V-0001" in Case.objects.get(pk=second.case.pk).search_document
    assert access_state_verify() == []


def test_protected_from_another_case_the_home_case_s_lead_keeps_the_identity(
    client: Client, world: World, second: Second
) -> None:
    # The second case's lead links the first case's suspect; an investigator who is only on
    # the second case protects them there.
    linked = _link(world, second, world.suspect, second.lead)
    client.force_login(second.investigator)
    url = reverse("cases:person_protect", args=[second.case.pk, linked.pk])
    response = client.post(url, {"measures": ["identity_non_disclosure"], "note": ""})
    assert response.status_code == 302
    home = CasePerson.objects.get(pk=world.suspect.pk)
    assert home.protected  # protection follows the person home
    # The home case's lead, who could read the name until now, keeps it there, on record.
    grant = IdentityGrant.objects.get(case_person=home, user=world.lead)
    assert (grant.kind, grant.granted_by) == (IdentityGrant.Kind.FOLLOWS, second.investigator)
    client.force_login(world.lead)
    page = client.get(reverse("cases:person_detail", args=[world.case.pk, home.pk]))
    assert SUSPECT_NAME in page.content.decode()
    assert f"granted by {second.investigator.get_full_name()}" in page.content.decode()
    # Nobody else of the home case: its investigator (who recorded them) and analyst.
    for member in (world.investigator, world.analyst):
        assert not services.identity_visible_to(member, home)
        client.force_login(member)
        body = client.get(reverse("cases:persons", args=[world.case.pk])).content.decode()
        assert SUSPECT_NAME not in body
        assert home.pseudonym in body
    # So the lead can decide who else may.
    services.identity_grant(case_person=home, actor=world.lead, user=world.investigator)
    assert services.identity_visible_to(world.investigator, home)
    assert access_state_verify() == []


def test_members_of_another_case_cannot_edit_the_shared_record(
    client: Client, world: World, second: Second
) -> None:
    linked = _link(world, second, world.suspect, second.lead)
    assert linked.person.home_case == world.case
    with pytest.raises(ValidationError, match="another case"):
        services.case_person_update(
            case_person=linked,
            actor=second.investigator,
            role=linked.role,
            notes="",
            full_name="Someone Else",
        )
    # Their own case's role and notes, yes.
    services.case_person_update(
        case_person=linked, actor=second.investigator, role="witness", notes="Seen at the camp."
    )
    client.force_login(second.investigator)
    url = reverse("cases:person_edit", args=[second.case.pk, linked.pk])
    page = client.get(url).content.decode()
    assert "recorded by the team of another case" in page
    assert 'name="full_name"' not in page
    response = client.post(url, {"role": "witness", "notes": "n", "full_name": "Someone Else"})
    assert response.status_code == 302
    linked.person.refresh_from_db()
    assert linked.person.full_name == SUSPECT_NAME
    # A contributor of the home case edits the shared record.
    services.case_person_update(
        case_person=world.suspect,
        actor=world.investigator,
        role="suspect",
        notes="",
        rank="General",
    )
    linked.person.refresh_from_db()
    assert linked.person.rank == "General"


def test_a_lead_cannot_grant_an_identity_to_themselves(world: World) -> None:
    co_lead = UserFactory(username="w_colead", roles=[Role.CASE_LEAD])
    services.case_member_add(case=world.case, actor=world.lead, user=co_lead, role="lead")
    with pytest.raises(ValidationError, match="themselves"):
        services.identity_grant(case_person=world.witness, actor=co_lead, user=co_lead)
    assert not services.identity_visible_to(co_lead, world.witness)


def test_a_lead_cannot_grant_an_identity_they_do_not_hold(world: World) -> None:
    co_lead = UserFactory(username="w_colead", roles=[Role.CASE_LEAD])
    services.case_member_add(case=world.case, actor=world.lead, user=co_lead, role="lead")
    with pytest.raises(ValidationError, match="hold yourself"):
        services.identity_grant(case_person=world.witness, actor=co_lead, user=world.analyst)
    assert not services.identity_visible_to(world.analyst, world.witness)


def test_each_grant_names_who_decided_on_the_person_page(client: Client, world: World) -> None:
    services.identity_grant(case_person=world.witness, actor=world.lead, user=world.investigator)
    grant = IdentityGrant.objects.get(case_person=world.witness, user=world.investigator)
    assert (grant.kind, grant.granted_by) == (IdentityGrant.Kind.DECISION, world.lead)
    protector = IdentityGrant.objects.get(case_person=world.witness, user=world.lead)
    assert protector.kind == IdentityGrant.Kind.PROTECTOR
    client.force_login(world.lead)
    page = client.get(reverse("cases:person_detail", args=[world.case.pk, world.witness.pk]))
    assert f"granted by {world.lead.get_full_name()}" in page.content.decode()
    grants_page = client.get(reverse("cases:person_grants", args=[world.case.pk, world.witness.pk]))
    assert f'value="{world.lead.pk}"' not in grants_page.content.decode()  # never offered
    services.identity_revoke(case_person=world.witness, actor=world.lead, user=world.investigator)
    grant.refresh_from_db()
    assert (grant.revoked_by, grant.revoked_at is not None) == (world.lead, True)


def test_the_migration_protects_a_person_left_unprotected_in_another_case(
    world: World, second: Second
) -> None:
    # As the earlier code left it: the witness linked into the second case, unprotected.
    legacy = CasePerson.objects.create(
        case=second.case, person=world.witness.person, role="victim", created_by=world.lead
    )
    audit_record(actor=world.lead, action="person.added", target=legacy)
    IdentityGrant.objects.all().delete()
    type(world.witness.person).objects.update(home_case=None)
    migration = importlib.import_module("cases.migrations.0010_protection_follows_the_person")
    migration.forwards(apps, None)
    legacy.refresh_from_db()
    assert (legacy.protected, legacy.pseudonym) == (True, "V-0001")
    assert "V-0001" in Case.objects.get(pk=second.case.pk).search_document
    world.witness.person.refresh_from_db()
    assert world.witness.person.home_case == world.case
    # The first case's lead, who holds the identity there, keeps it in the second case.
    assert services.identity_visible_to(world.lead, legacy)
    assert not services.identity_visible_to(second.investigator, legacy)
    assert IdentityGrant.objects.get(case_person=world.witness, user=world.lead).kind == (
        IdentityGrant.Kind.PROTECTOR
    )
    assert access_state_verify() == []


def test_the_database_refuses_a_lead_s_decision_to_grant_themselves(world: World) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        IdentityGrant.objects.create(
            case_person=world.witness,
            user=world.analyst,
            granted_by=world.analyst,
            kind=IdentityGrant.Kind.DECISION,
        )
