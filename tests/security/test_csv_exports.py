"""CSV injection: every CSV the project answers, found by walking the URL resolver, keeps a
cell that a spreadsheet would run as a formula as text (a leading ``'``), whatever a user
typed into the records it prints (OWASP's rule: ``=``, ``+``, ``-``, ``@``, tab, CR)."""

from __future__ import annotations

import csv
import io

from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from custos.csv import FORMULA_STARTS, neutralise
from evidence import proof
from tests.cases.conftest import SHARED_WORLD
from tests.conftest import text_of
from tests.factories import UserFactory
from tests.security.conftest import Hostile
from tests.security.test_every_url import OBJECTS
from tests.urlwalk import all_routes
from training import services as training_services

pytestmark = SHARED_WORLD  # the case world is built once for the module

PAYLOADS = ('=HYPERLINK("http://x")', "@SUM(1)", "+1", "-1", "\tled by a tab", "\rled by a CR")
CSV_EXPORTS = {"cases:persons_csv", "proof:matrix_csv", "training:export"}


def _seed(h: Hostile) -> None:
    """Formula payloads in every kind of record an export prints."""
    w = h.world
    suspect = w.suspect.person
    suspect.full_name, suspect.affiliation, suspect.unit, suspect.rank = (
        PAYLOADS[0],
        PAYLOADS[4],
        PAYLOADS[5],
        PAYLOADS[1],
    )
    suspect.save()
    proof.link_revise(
        link=h.link,
        actor=w.lead,
        reason="Re-read",
        assessment="strong",
        relevance="-1",
        locator="+1",
    )
    application = h.application
    application.organisation, application.function = PAYLOADS[0], PAYLOADS[1]
    application.save(update_fields=["organisation", "function"])
    admin = UserFactory(username="h_csv_trainer", roles=[Role.TRAINING_ADMIN])
    training_services.application_decide(application=application, actor=admin, decision="accepted")
    h.trainer = admin  # type: ignore[attr-defined]


def _csv_answers(h: Hostile) -> dict[str, str]:
    """Every GET of the project, by users permitted to read the victims' records (the case
    lead, the unit admin, a training admin), that answers text/csv: its body by URL name."""
    found: dict[str, str] = {}
    users = (h.world.lead, h.world.unit_admin, h.trainer)  # type: ignore[attr-defined]
    clients = []
    for user in users:
        client = Client()
        client.force_login(user)
        clients.append(client)
    for route in all_routes():
        if route.converters and route.name not in OBJECTS:
            continue  # a public URL with a token or a code: no export
        url = route.url(**OBJECTS[route.name](h)) if route.converters else route.url()
        for client in clients:
            response = client.get(url)
            if response.get("Content-Type", "").startswith("text/csv"):
                found[route.name] = text_of(response)
                break
    return found


def test_every_csv_export_neutralises_formulas(hostile: Hostile) -> None:
    _seed(hostile)
    answers = _csv_answers(hostile)
    assert set(answers) == CSV_EXPORTS, "a CSV export was not reached (or a new one exists)"
    printed: set[str] = set()
    for name, text in answers.items():
        for row in csv.reader(io.StringIO(text, newline="")):
            for cell in row:
                assert not cell.startswith(FORMULA_STARTS), f"{name}: {cell!r}"
                printed.add(cell)
    # The payloads did reach the exports, as text.
    missing = {p for p in PAYLOADS if neutralise(p) not in printed}
    assert not missing, missing


def test_the_writer_prefixes_a_quote_to_formula_cells_only() -> None:
    assert [neutralise(p) for p in PAYLOADS] == [f"'{p}" for p in PAYLOADS]
    assert neutralise("Colonel") == "Colonel"
    assert neutralise(None) == ""
    assert neutralise(42) == "42"


def test_an_export_streams(client: Client, hostile: Hostile) -> None:
    client.force_login(hostile.world.lead)
    response = client.get(reverse("cases:persons_csv", args=[hostile.world.case.pk]))
    assert response.streaming
