"""Two partner organisations, each with a liaison, and the case world shared with one of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from partners import services
from partners.models import Agreement, CaseShare, PartnerMembership, PartnerOrganisation
from tests.cases.conftest import World, break_glass, module_world, world  # noqa: F401 - shared fixtures
from tests.factories import UserFactory


@dataclass
class Partners:
    world: World
    org_a: PartnerOrganisation
    org_b: PartnerOrganisation
    agreement_a: Agreement
    agreement_b: Agreement
    liaison_a: User
    liaison_b: User
    share_a: CaseShare


def _org(name: str, acronym: str, kind: str) -> PartnerOrganisation:
    return PartnerOrganisation.objects.create(name=name, acronym=acronym, kind=kind, country="NL")


def _agreement(org: PartnerOrganisation, by: User, until: date | None) -> Agreement:
    today = timezone.localdate()
    return Agreement.objects.create(
        organisation=org,
        kind="mou",
        title=f"MoU with {org.acronym}",
        created_by=by,
        signed_on=today - timedelta(days=400),
        valid_from=today - timedelta(days=365),
        valid_until=until,
    )


def _liaison(username: str, org: PartnerOrganisation) -> User:
    user = UserFactory(username=username, roles=[Role.TRIBUNAL_LIAISON])
    PartnerMembership.objects.create(user=user, organisation=org)
    return user


def build_partners(world: World) -> Partners:  # noqa: F811 - the imported fixture
    today = timezone.localdate()
    org_a = _org("International Tribunal Alpha", "ITA", "tribunal")
    org_b = _org("Beta War Crimes Unit", "BWCU", "national_unit")
    agreement_a = _agreement(org_a, world.unit_admin, today + timedelta(days=365))
    agreement_b = _agreement(org_b, world.unit_admin, None)
    share_a = services.share_create(
        case=world.case,
        actor=world.lead,
        organisation=org_a,
        agreement=agreement_a,
        legal_basis_note="Request for assistance RFA-2026-14",
        level="packages",
        expires_on=today + timedelta(days=90),
    )
    return Partners(
        world,
        org_a,
        org_b,
        agreement_a,
        agreement_b,
        _liaison("liaison_a", org_a),
        _liaison("liaison_b", org_b),
        share_a,
    )


@pytest.fixture
def partners(world: World) -> Partners:  # noqa: F811 - the imported fixture
    return build_partners(world)


# Who walks the access matrices of tests/partners (the case world's staff and two liaisons).
ACTORS = (
    "unit_admin",
    "lead",
    "investigator",
    "analyst",
    "colleague",
    "liaison_a",
    "liaison_b",
    "trainee",
)


@dataclass(frozen=True)
class Expect:
    """One URL of an access matrix: its method, its arguments and each actor's answer."""

    method: str
    kwargs: Callable[[Partners], dict[str, object]]
    codes: dict[str, int]


def actor_of(p: Partners, name: str) -> User:
    """The user an access matrix calls ``name`` (a trainee is made on first use)."""
    if name == "trainee":
        return UserFactory(username="matrix_trainee", roles=[Role.TRAINEE])
    if name in ("liaison_a", "liaison_b"):
        return getattr(p, name)
    return getattr(p.world, name)
