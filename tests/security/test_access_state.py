"""Who may see what in a case is explained by the audit trail: a row changed behind the
services' back (a SQL prompt, a careless script) is named by ``verify_access_state``."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.models import AuditEvent
from cases import services
from cases.access_state import access_state_verify
from cases.models import (
    CaseMember,
    CasePersonUserObjectPermission,
    CaseUserObjectPermission,
    IdentityGrant,
)
from tests.cases.conftest import SHARED_WORLD, World, open_case

pytestmark = SHARED_WORLD  # the case world is built once for the module


def _perm(codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label="cases", codename=codename)


def test_a_world_built_through_the_services_verifies_clean(world: World, break_glass) -> None:
    services.identity_grant(case_person=world.witness, actor=world.lead, user=world.investigator)
    services.identity_grant(case_person=world.witness, actor=world.lead, user=world.analyst)
    services.identity_revoke(case_person=world.witness, actor=world.lead, user=world.analyst)
    member = world.case.members.get(user=world.investigator)
    services.case_member_remove(case=world.case, actor=world.lead, member=member)
    second = open_case(world.lead, title="Second case")
    services.case_person_add(
        case=second, actor=world.lead, role="victim", person=world.witness.person
    )
    assert access_state_verify() == []
    call_command("verify_access_state")


def test_a_view_identity_row_inserted_directly_is_named(world: World) -> None:
    row = CasePersonUserObjectPermission.objects.create(
        user=world.analyst, permission=_perm("view_identity"), content_object=world.witness
    )
    problems = access_state_verify()
    assert any(
        f"CasePersonUserObjectPermission id={row.pk}" in p and "no audited grant" in p
        for p in problems
    )
    with pytest.raises(CommandError, match="problem"):
        call_command("verify_access_state")


def test_a_protection_flag_lifted_by_sql_is_named(world: World) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_caseperson SET protected = %s WHERE id = %s", [False, world.witness.pk]
        )
    problems = access_state_verify()
    assert any(p.startswith(f"CasePerson id={world.witness.pk} is not protected") for p in problems)


def test_a_team_member_and_permission_inserted_directly_are_named(world: World) -> None:
    member = CaseMember.objects.create(
        case=world.case, user=world.colleague, role="investigator", added_by=world.lead
    )
    row = CaseUserObjectPermission.objects.create(
        user=world.colleague, permission=_perm("view_case"), content_object=world.case
    )
    problems = "\n".join(access_state_verify())
    assert f"CaseMember id={member.pk} (user id={world.colleague.pk}" in problems
    assert f"CaseUserObjectPermission id={row.pk} (view_case of user id={world.colleague.pk}" in (
        problems
    )


def test_a_deleted_identity_grant_is_named(world: World) -> None:
    grant = services.identity_grant(
        case_person=world.witness, actor=world.lead, user=world.investigator
    )
    IdentityGrant.objects.filter(pk=grant.pk).delete()
    problems = access_state_verify()
    assert (
        f"missing IdentityGrant of user id={world.investigator.pk} on case person "
        f"id={world.witness.pk}"
    ) in "\n".join(problems)


def test_a_grant_whose_decider_was_rewritten_is_named(world: World) -> None:
    grant = services.identity_grant(
        case_person=world.witness, actor=world.lead, user=world.investigator
    )
    IdentityGrant.objects.filter(pk=grant.pk).update(granted_by=world.analyst)
    assert any(p.startswith(f"IdentityGrant id={grant.pk} says") for p in access_state_verify())


def test_a_team_role_raised_by_sql_is_named(world: World) -> None:
    CaseMember.objects.filter(case=world.case, user=world.analyst).update(role="lead")
    problems = access_state_verify()
    assert any("has the role lead" in p for p in problems)


def test_a_break_glass_access_inserted_or_lengthened_directly_is_named(
    world: World, break_glass
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from cases.models import BreakGlassAccess

    opened = BreakGlassAccess.objects.get()
    BreakGlassAccess.objects.filter(pk=opened.pk).update(
        expires_at=opened.expires_at + timedelta(days=30)
    )
    now = timezone.now()
    forged = BreakGlassAccess.objects.create(
        case=world.case,
        user=world.colleague,
        justification="-",
        created_at=now,
        expires_at=now + timedelta(hours=1),
    )
    problems = access_state_verify()
    assert any(p.startswith(f"BreakGlassAccess id={opened.pk} does not match") for p in problems)
    assert any(
        p.startswith(f"BreakGlassAccess id={forged.pk} (user id={world.colleague.pk}")
        for p in problems
    )


def test_verify_audit_checks_the_access_state_on_request(world: World) -> None:
    CasePersonUserObjectPermission.objects.create(
        user=world.analyst, permission=_perm("view_identity"), content_object=world.witness
    )
    call_command("verify_audit")  # the chain itself is intact
    with pytest.raises(CommandError, match="Access state differs"):
        call_command("verify_audit", "--access-state")


@pytest.mark.django_db
def test_a_freshly_seeded_demo_database_verifies_clean() -> None:
    call_command("seed_demo")
    assert access_state_verify() == []


def test_an_older_history_is_read_and_the_migration_records_who_decided(world: World) -> None:
    """Older audit rows name users by username, and protecting a person implied the
    protector's grant; the migration then records who decided each grant."""
    from guardian.shortcuts import assign_perm

    from audit.services import audit_record
    from cases import permissions as P
    from cases.models import CasePerson, Person

    person = Person.objects.create(full_name="Old CANARY-WITNESS", created_by=world.lead)
    old = CasePerson.objects.create(
        case=world.case, person=person, role="witness", created_by=world.lead
    )
    audit_record(actor=world.lead, action="person.added", target=old, details={"role": "witness"})
    CasePerson.objects.filter(pk=old.pk).update(protected=True, pseudonym="W-0002")
    assign_perm("cases.view_identity", world.lead, old)
    audit_record(actor=world.lead, action="person.protected", target=old, details={"measures": []})
    assign_perm("cases.view_identity", world.analyst, old)
    audit_record(
        actor=world.lead,
        action="person.identity_granted",
        target=old,
        details={"user": world.analyst.username},
    )
    CaseMember.objects.create(
        case=world.case, user=world.colleague, role="analyst", added_by=world.lead
    )
    for perm in P.ROLE_PERMISSIONS["analyst"]:
        assign_perm(f"cases.{perm}", world.colleague, world.case)
    audit_record(
        actor=world.lead,
        action="case.member_added",
        target=world.case,
        details={"user": world.colleague.username, "role": "analyst"},
    )
    protected = AuditEvent.objects.get(action="person.protected", target_id=str(old.pk))
    granted = AuditEvent.objects.get(action="person.identity_granted", target_id=str(old.pk))
    # Read from the older rows: the protector's and the analyst's identity, the colleague's
    # membership; only the grant records are missing until the migration writes them.
    assert set(access_state_verify()) == {
        f"missing IdentityGrant of user id={user.pk} on case person id={old.pk}: audit row "
        f"id={event.pk} granted it and no audited revocation followed"
        for user, event in [(world.lead, protected), (world.analyst, granted)]
    }
    migration = importlib.import_module("cases.migrations.0010_protection_follows_the_person")
    migration.forwards(apps, None)
    assert access_state_verify() == []
    kinds = {g.user: (g.kind, g.granted_by) for g in IdentityGrant.objects.filter(case_person=old)}
    assert kinds == {
        world.lead: (IdentityGrant.Kind.PROTECTOR, world.lead),
        world.analyst: (IdentityGrant.Kind.DECISION, world.lead),
    }
