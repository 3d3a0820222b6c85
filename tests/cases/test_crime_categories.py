"""The case's crime-category flags, which the case list filters on, follow the crimes alleged on
the case and on its incidents; the migration sets them on existing cases."""

from __future__ import annotations

import importlib
from datetime import date

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from cases import selectors, services
from cases.models import Case, Crime

from .conftest import World

GENOCIDE = Crime.Category.GENOCIDE
HUMANITY = Crime.Category.CRIMES_AGAINST_HUMANITY
WAR = Crime.Category.WAR_CRIMES


def _one(category: str) -> list[Crime]:
    return [Crime.objects.filter(category=category).order_by("code")[0]]


def _listed(world: World, category: str) -> bool:
    return (
        selectors.case_list(world.lead, crime_category=category).filter(pk=world.case.pk).exists()
    )


def test_the_flags_follow_the_crimes_of_the_case_and_its_incidents(world: World) -> None:
    world.case.refresh_from_db()
    # The world's only crime is a war crime on its incident.
    assert world.case.crime_categories == [WAR]
    assert [_listed(world, c) for c in (GENOCIDE, HUMANITY, WAR)] == [False, False, True]

    services.case_update(case=world.case, actor=world.lead, crimes=_one(GENOCIDE))
    services.incident_update(incident=world.incident, actor=world.lead, crimes=_one(HUMANITY))
    world.case.refresh_from_db()
    assert world.case.crime_categories == [GENOCIDE, HUMANITY]
    assert [_listed(world, c) for c in (GENOCIDE, HUMANITY, WAR)] == [True, True, False]

    services.case_update(case=world.case, actor=world.lead, crimes=[])
    other = services.incident_create(
        case=world.case,
        actor=world.lead,
        title="Second attack",
        date_start=date(2024, 5, 1),
        date_precision="day",
        place_name="Bridge",
        country="UA",
        crimes=_one(WAR),
    )
    world.case.refresh_from_db()
    assert world.case.crime_categories == [HUMANITY, WAR]
    assert other.crimes.get().category == WAR


def test_an_edit_of_other_fields_keeps_the_flags(world: World) -> None:
    services.case_update(case=world.case, actor=world.lead, title="Renamed", crimes=_one(GENOCIDE))
    services.case_update(case=world.case, actor=world.lead, summary="Only the summary changes.")
    world.case.refresh_from_db()
    assert world.case.crime_categories == [GENOCIDE, WAR]


def test_the_case_list_filter_shows_only_matching_cases(client: Client, world: World) -> None:
    client.force_login(world.lead)
    url = reverse("cases:list")
    page = client.get(url, {"crime_category": WAR}).content.decode()
    assert world.case.reference in page
    assert "<td>War crimes</td>" in page  # the row shows the categories alleged
    assert (
        world.case.reference not in client.get(url, {"crime_category": GENOCIDE}).content.decode()
    )
    # An unknown category is a form error, not a server error.
    assert client.get(url, {"crime_category": "aggression"}).status_code == 200


def test_the_migration_sets_the_flags_of_existing_cases(world: World) -> None:
    services.case_update(case=world.case, actor=world.lead, crimes=_one(GENOCIDE))
    Case.objects.update(
        alleges_genocide=False, alleges_crimes_against_humanity=False, alleges_war_crimes=False
    )
    migration = importlib.import_module("cases.migrations.0008_case_crime_category_flags")
    migration.set_flags(apps, None)
    world.case.refresh_from_db()
    assert world.case.crime_categories == [GENOCIDE, WAR]
    assert set(migration.CATEGORIES) == set(Crime.Category.values)


@pytest.mark.postgres
def test_the_migration_runs_over_existing_cases(world: World) -> None:
    """An upgrade of a database with cases in it. On PostgreSQL an UPDATE of cases leaves
    deferred foreign-key events that forbid any later change to the table's schema in the same
    transaction: the migration must not change the table after setting the flags."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the world's own pending checks
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    call_command("migrate", "cases", "0007", verbosity=0)
    call_command("migrate", "cases", "0008", verbosity=0)
    world.case.refresh_from_db()
    assert world.case.crime_categories == [WAR]


@pytest.mark.parametrize("category", Crime.Category.values)
def test_each_category_has_its_flag(category: str) -> None:
    assert Case._meta.get_field(Case.crime_category_flag(category))
