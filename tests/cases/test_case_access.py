"""The access matrix of every case URL: who gets a page, a 403 or a 404.

A user who may not see the case gets a 404 for every URL of it (its existence is not
confirmed); a team member whose role does not allow an action gets a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from cases import services
from cases.models import CaseMember
from tests.cases.conftest import ACTORS, SHARED_WORLD, World, codes, contribute, matrix_actor
from tests.factories import UserFactory
from tests.urlwalk import all_routes

pytestmark = SHARED_WORLD


@dataclass(frozen=True)
class Expect:
    method: str
    kwargs: Callable[[World], dict[str, int]]
    codes: dict[str, int]
    data: Callable[[World], dict[str, object]] | None = None


def case(w: World) -> dict[str, int]:
    return {"pk": w.case.pk}


def incident(w: World) -> dict[str, int]:
    return {"pk": w.case.pk, "incident_pk": w.incident.pk}


def suspect(w: World) -> dict[str, int]:
    return {"pk": w.case.pk, "person_pk": w.suspect.pk}


def witness(w: World) -> dict[str, int]:
    return {"pk": w.case.pk, "person_pk": w.witness.pk}


def note(w: World) -> dict[str, int]:
    created = services.note_add(case=w.case, actor=w.lead, body="A note")
    return {"pk": w.case.pk, "note_pk": created.pk}


def grant(w: World) -> dict[str, int]:
    return {**witness(w), "user_pk": w.lead.pk}


def member(w: World) -> dict[str, int]:
    extra = UserFactory(username="w_extra", roles=[Role.INVESTIGATOR])
    added = services.case_member_add(
        case=w.case, actor=w.lead, user=extra, role=CaseMember.Role.INVESTIGATOR
    )
    return {"pk": w.case.pk, "member_pk": added.pk}


def lead_only(ok: int = 200) -> dict[str, int]:
    return codes(ok, investigator=403, analyst=403, break_glass=403)


CASE_ROUTES: dict[str, Expect] = {
    "cases:detail": Expect("get", case, codes()),
    "cases:edit": Expect("get", case, lead_only()),
    "cases:transition": Expect("get", case, contribute()),
    "cases:incidents": Expect("get", case, codes()),
    "cases:incident_create": Expect("get", case, contribute()),
    "cases:incident_detail": Expect("get", incident, codes()),
    "cases:incident_edit": Expect("get", incident, contribute()),
    "cases:persons": Expect("get", case, codes()),
    "cases:persons_csv": Expect("get", case, codes()),
    "cases:person_create": Expect("get", case, contribute()),
    "cases:person_link": Expect("get", case, contribute()),
    "cases:person_detail": Expect("get", witness, codes()),
    "cases:person_edit": Expect("get", suspect, contribute()),
    "cases:person_protect": Expect("get", suspect, contribute()),
    "cases:person_grants": Expect("get", witness, lead_only()),
    "cases:person_grant_revoke": Expect("post", grant, lead_only(302)),
    "cases:team": Expect("get", case, lead_only() | {"unit_admin": 200, "break_glass": 200}),
    "cases:team_add": Expect("get", case, lead_only() | {"unit_admin": 200, "break_glass": 200}),
    "cases:team_remove": Expect(
        "post", member, lead_only(302) | {"unit_admin": 302, "break_glass": 302}
    ),
    "cases:timeline": Expect("get", case, codes()),
    "cases:activity": Expect("get", case, codes()),
    "cases:notes": Expect("get", case, codes()),
    "cases:note_edit": Expect("get", note, contribute()),
    "cases:note_history": Expect("get", note, codes()),
    # Unit admins only, whatever the case: everyone else is refused before any lookup.
    "cases:break_glass": Expect(
        "get",
        case,
        {a: 403 for a in ACTORS} | {"unit_admin": 200, "break_glass": 200},
    ),
}


def test_every_case_url_with_an_id_is_in_the_matrix() -> None:
    with_ids = {
        r.name for r in all_routes() if r.name.startswith("cases:") and "pk" in r.converters
    }
    assert with_ids == set(CASE_ROUTES)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", sorted(CASE_ROUTES))
def test_case_url_access(
    client: Client, world: World, request: pytest.FixtureRequest, name: str, actor: str
) -> None:
    expect = CASE_ROUTES[name]
    url = reverse(name, kwargs=expect.kwargs(world))
    client.force_login(matrix_actor(world, actor, request))
    response = getattr(client, expect.method)(url)
    assert response.status_code == expect.codes[actor], f"{actor} on {url}"
    if response.status_code == 404:
        assert world.case.title not in response.content.decode()


@pytest.mark.parametrize("name", sorted(CASE_ROUTES))
def test_anonymous_users_are_sent_to_login(client: Client, world: World, name: str) -> None:
    expect = CASE_ROUTES[name]
    response = getattr(client, expect.method)(reverse(name, kwargs=expect.kwargs(world)))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_case_that_does_not_exist_is_a_404_like_one_that_is_hidden(
    client: Client, world: World
) -> None:
    client.force_login(world.lead)
    assert client.get(reverse("cases:detail", args=[world.case.pk + 1000])).status_code == 404


def test_a_superuser_flag_gives_no_access(client: Client, world: World) -> None:
    world.colleague.is_superuser = True
    world.colleague.save()
    client.force_login(world.colleague)
    assert client.get(reverse("cases:detail", args=[world.case.pk])).status_code == 404
    assert world.case.reference not in client.get(reverse("cases:list")).content.decode()


def test_clearance_below_the_case_classification_hides_it_even_from_members(
    client: Client, world: World
) -> None:
    world.investigator.clearance = 0
    world.investigator.save()
    client.force_login(world.investigator)
    assert client.get(reverse("cases:detail", args=[world.case.pk])).status_code == 404


def test_removing_a_member_takes_effect_on_the_next_request(client: Client, world: World) -> None:
    client.force_login(world.investigator)
    url = reverse("cases:detail", args=[world.case.pk])
    assert client.get(url).status_code == 200
    member = world.case.members.get(user=world.investigator)
    services.case_member_remove(case=world.case, actor=world.lead, member=member)
    assert client.get(url).status_code == 404


def test_break_glass_expires(client: Client, world: World, break_glass: User) -> None:
    from tests.cases.conftest import expire_break_glass

    client.force_login(break_glass)
    url = reverse("cases:detail", args=[world.case.pk])
    assert "break-glass" in client.get(url).content.decode()
    expire_break_glass(world)
    assert client.get(url).status_code == 404


def test_loading_a_case_for_a_view_costs_at_most_two_queries(
    world: World, break_glass: User, django_assert_max_num_queries: Callable
) -> None:
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from cases import permissions as P
    from cases.selectors import case_access

    with django_assert_max_num_queries(2):
        lead = case_access(world.lead, world.case.pk, P.MANAGE_TEAM)
    assert lead.role == CaseMember.Role.LEAD
    assert P.GRANT_IDENTITY in lead.perms
    with django_assert_max_num_queries(2):
        analyst = case_access(world.analyst, world.case.pk)
    assert (analyst.role, analyst.perms) == (CaseMember.Role.ANALYST, {P.VIEW})
    with django_assert_max_num_queries(2):
        glass = case_access(break_glass, world.case.pk)
    assert glass.via_break_glass
    assert glass.perms == {P.VIEW}
    assert glass.role is None
    with django_assert_max_num_queries(2), pytest.raises(PermissionDenied):
        case_access(world.analyst, world.case.pk, P.CONTRIBUTE)
    with django_assert_max_num_queries(2), pytest.raises(Http404):
        case_access(world.colleague, world.case.pk)


def test_every_row_of_a_case_is_visible_to_exactly_those_who_read_the_case(
    world: World, break_glass: User
) -> None:
    from cases.models import (
        BreakGlassAccess,
        CaseNote,
        CaseNoteRevision,
        CasePerson,
        IdentityGrant,
        Incident,
        ProtectiveMeasure,
        StatusChange,
    )

    services.note_add(case=world.case, actor=world.lead, body="A note")
    models = (
        Incident,
        CasePerson,
        CaseMember,
        StatusChange,
        CaseNote,
        CaseNoteRevision,
        IdentityGrant,
        ProtectiveMeasure,
        BreakGlassAccess,
    )
    for model in models:
        every = set(model.objects.values_list("pk", flat=True))
        assert every, model
        for reader in (world.analyst, break_glass):
            assert set(model.objects.visible_to(reader).values_list("pk", flat=True)) == every
        assert not model.objects.visible_to(world.colleague).exists(), model


def test_a_protected_person_is_known_by_name_only_to_who_holds_their_identity(
    world: World,
) -> None:
    from cases.models import Person, PersonName

    suspect, witness = world.suspect.person, world.witness.person
    assert set(Person.objects.visible_to(world.lead)) == {suspect, witness}
    assert set(Person.objects.visible_to(world.analyst)) == {suspect}
    assert not Person.objects.visible_to(world.colleague).exists()
    assert not PersonName.objects.visible_to(world.analyst).filter(person=witness).exists()


def test_loading_a_case_answers_as_visible_to_in_every_state(world: World) -> None:
    """The loader of one case (``case_access``) and the list's rule
    (``Case.objects.visible_to``) agree for every kind of reader and every state that
    changes the answer: team roles, no role, a superuser flag, a clearance below the case's,
    a deactivated member, a live and an expired break-glass access."""
    from django.http import Http404

    from cases.models import Case
    from cases.selectors import case_access
    from tests.cases.conftest import expire_break_glass

    def agree() -> None:
        for user in (
            world.lead,
            world.investigator,
            world.analyst,
            world.colleague,
            world.unit_admin,
        ):
            user.refresh_from_db()
            listed = Case.objects.visible_to(user).filter(pk=world.case.pk).exists()
            try:
                case_access(user, world.case.pk)
                loaded = True
            except Http404:
                loaded = False
            assert loaded is listed, (user.username, listed)

    agree()
    services.break_glass_open(
        case=world.case, actor=world.unit_admin, justification="Lead unreachable", hours=2
    )
    agree()
    expire_break_glass(world)
    agree()
    User.objects.filter(pk=world.colleague.pk).update(is_superuser=True)
    User.objects.filter(pk=world.analyst.pk).update(clearance=0)
    User.objects.filter(pk=world.investigator.pk).update(is_active=False)
    agree()
    assert not Case.objects.visible_to(world.analyst).exists()
