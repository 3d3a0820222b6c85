"""A living case for the tests: a team of three, incidents, an ordinary suspect and a protected
witness whose real name is a canary string that must never reach the wrong eyes.

A module whose tests each roll their own changes back (no ``transaction=True``) may build the
world once (``pytestmark = SHARED_WORLD``): ``world`` then hands each test a copy of the
module's, built through the same services in ``module_db`` (tests/conftest.py).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Clearance, User
from accounts.roles import Role
from cases import services
from cases.models import Case, CaseMember, CasePerson, Crime, Incident
from tests.factories import UserFactory

WITNESS_NAME = "Zaynab CANARY-WITNESS Haddad"
SUSPECT_NAME = "Dragan Suspectovic"


@dataclass
class World:
    case: Case
    lead: User
    investigator: User
    analyst: User
    colleague: User  # an investigator of the unit who is not on this case's team
    unit_admin: User
    witness: CasePerson
    suspect: CasePerson
    incident: Incident


def open_case(lead: User, **overrides: Any) -> Case:
    data: dict[str, Any] = {
        "title": "Shelling of the old market",
        "summary": "Artillery fire on a crowded market.",
        "situation": "Fictional conflict in Northland",
        "countries": ["UA"],
        "period_start": date(2024, 3, 1),
        "period_end": date(2024, 6, 30),
        "classification": Clearance.RESTRICTED,
        "sgbv": False,
        "priority": Case.Priority.HIGH,
        "referral_source": "NGO report",
    }
    data.update(overrides)
    return services.case_create(actor=lead, **data)


def build_world() -> World:
    lead = UserFactory(username="w_lead", roles=[Role.CASE_LEAD], clearance=Clearance.SECRET)
    investigator = UserFactory(username="w_inv", roles=[Role.INVESTIGATOR])
    analyst = UserFactory(username="w_analyst", roles=[Role.ANALYST])
    colleague = UserFactory(username="w_colleague", roles=[Role.INVESTIGATOR])
    unit_admin = UserFactory(
        username="w_admin", roles=[Role.UNIT_ADMIN], clearance=Clearance.SECRET
    )
    case = open_case(lead)
    services.case_member_add(
        case=case, actor=lead, user=investigator, role=CaseMember.Role.INVESTIGATOR
    )
    services.case_member_add(case=case, actor=lead, user=analyst, role=CaseMember.Role.ANALYST)
    incident = services.incident_create(
        case=case,
        actor=investigator,
        title="Market shelled at noon",
        description="Several rounds hit the market.",
        date_start=date(2024, 4, 2),
        date_precision="day",
        place_name="Old market",
        country="UA",
        crimes=Crime.objects.filter(code="ART8_2_B_I"),
    )
    suspect = services.case_person_add(
        case=case,
        actor=investigator,
        role=CasePerson.Role.SUSPECT,
        full_name=SUSPECT_NAME,
        affiliation="3rd Artillery Brigade",
        rank="Colonel",
    )
    witness = services.case_person_add(
        case=case,
        actor=lead,
        role=CasePerson.Role.WITNESS,
        full_name=WITNESS_NAME,
        protect=True,
        measures=["identity_non_disclosure", "voice_distortion"],
    )
    return World(
        case, lead, investigator, analyst, colleague, unit_admin, witness, suspect, incident
    )


# The module builds its world once; each test gets a copy (the database rolls back anyway).
# Every test of the module names ``db``: pytest-django then runs them with the other database
# tests, before any transactional test empties the tables the world needs (roles, crimes).
SHARED_WORLD = pytest.mark.usefixtures("db", "module_world")


@pytest.fixture(scope="module")
def module_world(module_db: None) -> World:
    return build_world()


@pytest.fixture
def world(db: None, request: pytest.FixtureRequest) -> World:
    """The case world: the module's, copied, in a ``SHARED_WORLD`` module (``module_world``,
    being module-scoped, is built before this test's transaction opens); built for this test
    otherwise."""
    if "module_world" in request.fixturenames:
        return copy.deepcopy(request.getfixturevalue("module_world"))
    return build_world()


@pytest.fixture
def break_glass(world: World) -> User:
    services.break_glass_open(
        case=world.case, actor=world.unit_admin, justification="Lead unreachable", hours=2
    )
    return world.unit_admin


def expire_break_glass(world: World) -> None:
    from cases.models import BreakGlassAccess

    past = timezone.now() - timedelta(hours=1)
    BreakGlassAccess.objects.filter(case=world.case).update(
        created_at=past - timedelta(hours=2), expires_at=past
    )


# --- The access matrices of a case's URLs (tests/cases, tests/evidence) -----------------------

# Who opens each URL: the world's team and staff, a break-glass unit admin and an outsider.
ACTORS = ("lead", "investigator", "analyst", "colleague", "unit_admin", "break_glass", "outsider")


def codes(ok: int = 200, **special: int) -> dict[str, int]:
    """Readers of the case get ``ok``; everyone who may not see it a 404."""
    result = {
        "lead": ok,
        "investigator": ok,
        "analyst": ok,
        "break_glass": ok,
        "colleague": 404,
        "unit_admin": 404,
        "outsider": 404,
    }
    result.update(special)
    return result


def contribute(ok: int = 200) -> dict[str, int]:
    return codes(ok, analyst=403, break_glass=403)


def matrix_actor(world: World, name: str, request: pytest.FixtureRequest) -> User:
    """The user an access matrix calls ``name``."""
    if name == "break_glass":
        return request.getfixturevalue("break_glass")
    if name == "outsider":
        return UserFactory(username="w_outsider")
    return getattr(world, name)
