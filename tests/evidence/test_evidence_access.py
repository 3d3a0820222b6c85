"""The access matrix of every evidence URL: who gets a page, a 403 or a 404.

Anyone who may not see the case of an item, file or hand-over gets a 404 for it (its
existence is not confirmed), whatever their role in the unit; a read-only member (analyst,
break-glass) gets a 403 on pages that change evidence; the unit-wide integrity page is for
unit admins only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse

from accounts.models import Clearance
from cases import permissions as P
from evidence import proof, selectors, services
from evidence.models import (
    Allegation,
    CustodyEvent,
    CustodyTransfer,
    EvidenceFile,
    EvidenceItem,
    EvidenceLink,
)
from tests.cases.conftest import ACTORS, SHARED_WORLD, codes, contribute, matrix_actor
from tests.evidence.conftest import PDF, Evidence
from tests.responses import body as body_of
from tests.urlwalk import all_routes

pytestmark = SHARED_WORLD  # the case world is built once for the module

NOT_ALLOWED = "You are not allowed to do this"
NOT_FOUND = "Page not found"


@dataclass(frozen=True)
class Expect:
    method: str
    kwargs: Callable[[Evidence], dict[str, int]]
    codes: dict[str, int]
    # What a reader sees on a 200 page (the stored bytes, for files).
    shows: Callable[[Evidence], list[str]] = field(default=lambda e: [e.item.exhibit])


def case(e: Evidence) -> dict[str, int]:
    return {"case_pk": e.world.case.pk}


def item(e: Evidence) -> dict[str, int]:
    return {"pk": e.item.pk}


def original(e: Evidence) -> dict[str, int]:
    return {"pk": e.original.pk}


def pending_transfer(e: Evidence) -> dict[str, int]:
    """The custodian (the investigator) has started handing the item over to the lead."""
    transfer = services.transfer_initiate(
        item=e.item, actor=e.world.investigator, to_user=e.world.lead, purpose="Examination"
    )
    return {"pk": transfer.pk}


def no_ids(e: Evidence) -> dict[str, int]:
    return {}


def case_header(e: Evidence) -> list[str]:
    return [e.world.case.reference, e.world.case.title]


def stored_bytes(e: Evidence) -> list[str]:
    return []  # checked against PDF below


EVIDENCE_ROUTES: dict[str, Expect] = {
    "evidence:register": Expect("get", case, codes()),
    "evidence:create": Expect("get", case, contribute(), case_header),
    "evidence:integrity": Expect("get", case, codes(), lambda e: [e.original.blob.sha256]),
    "evidence:detail": Expect("get", item, codes(), lambda e: [e.item.description]),
    "evidence:edit": Expect("get", item, contribute(), lambda e: [e.item.description]),
    "evidence:file_add": Expect("get", item, contribute()),
    # The pages of custody actions are for contributors; only the custodian can then
    # complete them (checked by the service on POST).
    "evidence:transfer": Expect("get", item, contribute()),
    "evidence:custody_event": Expect("get", item, contribute()),
    "evidence:verify": Expect("post", item, codes(302)),
    # Any reader of the case may see a waiting hand-over; only the recipient gets the form.
    "evidence:transfer_accept": Expect("get", pending_transfer, codes(), lambda e: ["Examination"]),
    # Only whoever started a hand-over may cancel it.
    "evidence:transfer_cancel": Expect("post", pending_transfer, codes(403, investigator=302)),
    "evidence:download": Expect("get", original, codes(), stored_bytes),
    "evidence:preview": Expect("get", original, codes(), stored_bytes),
    # Approving a redacted version is for a case lead (who is refused a file that is not one).
    "evidence:redaction_approve": Expect("post", original, codes(403, lead=302)),
    # Unit admins only, with no case content: everyone else is refused before any lookup.
    "evidence:integrity_admin": Expect(
        "get",
        no_ids,
        {a: 403 for a in ACTORS} | {"unit_admin": 200, "break_glass": 200},
        lambda e: ["Evidence integrity"],
    ),
}
CASE_BOUND = sorted(name for name in EVIDENCE_ROUTES if name != "evidence:integrity_admin")


def test_every_evidence_url_is_in_the_matrix() -> None:
    routes = {r.name for r in all_routes() if r.name.startswith("evidence:")}
    assert routes == set(EVIDENCE_ROUTES)


def _body(response: HttpResponseBase) -> bytes:
    return body_of(response)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", sorted(EVIDENCE_ROUTES))
def test_evidence_url_access(
    client: Client, ev: Evidence, request: pytest.FixtureRequest, name: str, actor: str
) -> None:
    expect = EVIDENCE_ROUTES[name]
    url = reverse(name, kwargs=expect.kwargs(ev))
    client.force_login(matrix_actor(ev.world, actor, request))
    response = getattr(client, expect.method)(url)
    body = _body(response)
    assert response.status_code == expect.codes[actor], f"{actor} on {url}"
    text = body.decode(errors="replace")
    if response.status_code == 200:
        if expect.shows is stored_bytes:
            assert body == PDF
        for shown in expect.shows(ev):
            assert shown in text, f"{actor} on {url} does not see {shown!r}"
    elif response.status_code == 302:
        assert response["Location"] == reverse("evidence:detail", args=[ev.item.pk])
    elif response.status_code == 403:
        assert NOT_ALLOWED in text
    else:
        assert NOT_FOUND in text
        for secret in (ev.world.case.title, ev.world.case.reference, ev.item.description):
            assert secret not in text, f"{actor} on {url} learns {secret!r}"


@pytest.mark.parametrize("name", sorted(EVIDENCE_ROUTES))
def test_anonymous_users_are_sent_to_login(client: Client, ev: Evidence, name: str) -> None:
    expect = EVIDENCE_ROUTES[name]
    url = reverse(name, kwargs=expect.kwargs(ev))
    response = getattr(client, expect.method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert PDF not in _body(response)


@pytest.mark.parametrize("name", CASE_BOUND)
def test_an_id_that_does_not_exist_is_a_404_like_a_hidden_one(
    client: Client, ev: Evidence, name: str
) -> None:
    route = next(r for r in all_routes() if r.name == name)
    client.force_login(ev.world.lead)
    response = getattr(client, EVIDENCE_ROUTES[name].method)(route.url())
    assert response.status_code == 404
    assert NOT_FOUND in response.content.decode()


def test_the_initiator_cancelling_a_hand_over_puts_the_item_back_in_custody(
    client: Client, ev: Evidence
) -> None:
    pk = pending_transfer(ev)["pk"]
    client.force_login(ev.world.investigator)
    response = client.post(reverse("evidence:transfer_cancel", args=[pk]), follow=True)
    assert "Hand-over cancelled." in response.content.decode()
    assert CustodyTransfer.objects.get(pk=pk).status == CustodyTransfer.Status.CANCELLED
    ev.item.refresh_from_db()
    assert ev.item.status == ev.item.Status.IN_CUSTODY


@pytest.mark.parametrize("actor", ["lead", "analyst", "break_glass"])
def test_someone_else_cannot_cancel_a_hand_over(
    client: Client, ev: Evidence, request: pytest.FixtureRequest, actor: str
) -> None:
    pk = pending_transfer(ev)["pk"]
    client.force_login(matrix_actor(ev.world, actor, request))
    assert client.post(reverse("evidence:transfer_cancel", args=[pk])).status_code == 403
    assert CustodyTransfer.objects.get(pk=pk).status == CustodyTransfer.Status.PENDING
    ev.item.refresh_from_db()
    assert ev.item.status == ev.item.Status.IN_TRANSIT


def test_only_the_recipient_of_a_hand_over_gets_the_form_to_accept_it(
    client: Client, ev: Evidence
) -> None:
    url = reverse("evidence:transfer_accept", kwargs=pending_transfer(ev))
    client.force_login(ev.world.lead)
    assert "I have received it: take custody" in client.get(url).content.decode()
    client.force_login(ev.world.analyst)
    page = client.get(url).content.decode()
    assert "I have received it: take custody" not in page
    assert "This hand-over is meant for someone else." in page


def test_a_read_only_member_sees_no_buttons_that_change_evidence(
    client: Client, ev: Evidence
) -> None:
    client.force_login(ev.world.analyst)
    page = client.get(reverse("evidence:detail", args=[ev.item.pk])).content.decode()
    assert reverse("evidence:download", args=[ev.original.pk]) in page
    for name in ("edit", "file_add", "transfer", "custody_event"):
        assert reverse(f"evidence:{name}", args=[ev.item.pk]) not in page


@pytest.mark.parametrize("actor", ["lead", "analyst", "break_glass"])
def test_loading_an_item_for_a_page_costs_two_queries(
    ev: Evidence,
    request: pytest.FixtureRequest,
    actor: str,
    django_assert_max_num_queries,
) -> None:
    user = matrix_actor(ev.world, actor, request)
    with django_assert_max_num_queries(2):
        item, access = selectors.item_access(user, ev.item.pk)
    assert item == ev.item
    assert access.case == ev.world.case
    assert access.can(P.VIEW)
    assert access.can(P.CHANGE) == (actor == "lead")


def test_every_evidence_queryset_shows_a_user_only_what_they_may_see(
    ev: Evidence, request: pytest.FixtureRequest
) -> None:
    """``visible_to`` on each model's queryset: the items (and their files, custody, hand-overs
    and links) of the cases the user sees, never an item classified above their clearance."""
    world = ev.world
    secret, _added = services.item_create(
        case=world.case,
        actor=world.lead,
        kind=EvidenceItem.Kind.DOCUMENT,
        description="Intercepted orders",
        classification=Clearance.SECRET,
    )
    allegation = proof.allegation_create(
        case=world.case,
        actor=world.lead,
        suspect=world.suspect,
        crime=world.incident.crimes.get(),
        modes=list(proof.liability_modes()[:1]),
        incidents=[world.incident],
    )
    for item in (ev.item, secret):
        proof.link_create(
            allegation=allegation,
            item=item,
            actor=world.lead,
            element_index=0,
            assessment=EvidenceLink.Assessment.STRONG,
        )
    pending_transfer(ev)
    # The managers of five models, each with its own visible_to.
    querysets: dict[str, tuple[Any, Callable[[Any], int]]] = {
        "items": (EvidenceItem.objects, lambda i: i.pk),
        "files": (EvidenceFile.objects, lambda f: f.item_id),
        "custody": (CustodyEvent.objects, lambda e: e.item_id),
        "transfers": (CustodyTransfer.objects, lambda t: t.item_id),
        "links": (EvidenceLink.objects, lambda link: link.item_id),
    }
    for name, (manager, item_of) in querysets.items():
        assert {item_of(row) for row in manager.visible_to(world.lead)} >= {ev.item.pk}, name
        seen = {item_of(row) for row in manager.visible_to(world.analyst)}
        assert ev.item.pk in seen, name
        assert secret.pk not in seen, name
        assert not manager.visible_to(world.colleague).exists(), name
        assert not manager.visible_to(AnonymousUser()).exists(), name
    assert secret.pk in {i.pk for i in EvidenceItem.objects.visible_to(world.lead)}
    assert list(Allegation.objects.visible_to(world.analyst)) == [allegation]
    assert not Allegation.objects.visible_to(world.colleague).exists()
    glass = request.getfixturevalue("break_glass")
    assert ev.item in EvidenceItem.objects.visible_to(glass)


def test_loading_a_file_or_a_hand_over_for_a_page_costs_two_queries(
    ev: Evidence, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(2):
        file, access = selectors.file_for_change(ev.world.lead, ev.original.pk)
    assert (file, access.case) == (ev.original, ev.world.case)
    pk = pending_transfer(ev)["pk"]
    with django_assert_max_num_queries(2):
        transfer, access = selectors.transfer_access(ev.world.lead, pk)
    assert (transfer.item, access.case) == (ev.item, ev.world.case)
