"""``seed_scale`` writes rows the rest of Custos accepts: valid custody and audit chains,
need-to-know through guardian, pseudonyms instead of names (small N; the benchmarks use 100,000)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.services import audit_verify
from cases import selectors
from cases.models import Case, CaseMember, CasePerson, CaseReferenceCounter, Person
from cases.search import search_document_for
from devdata.scale import INVESTIGATOR_20K, INVESTIGATOR_200, seed_scale
from evidence.custody import verify_chains
from evidence.models import CustodyEvent, EvidenceItem
from tests.factories import UserFactory

N = 20


@pytest.fixture
def seeded(db: None):
    return seed_scale(cases=N, batch_size=7)


def test_seeded_chains_verify_with_the_commands(seeded, capsys) -> None:
    assert Case.objects.count() == N
    assert EvidenceItem.objects.count() >= 5 * N
    assert CustodyEvent.objects.count() > EvidenceItem.objects.count()
    call_command("verify_custody")
    assert f"{EvidenceItem.objects.count()} items verified" in capsys.readouterr().out
    call_command("verify_audit")
    report = audit_verify()
    assert report.ok
    assert report.unsealed == 0
    assert report.checked >= N + EvidenceItem.objects.count()


def test_a_tampered_seeded_chain_is_found(seeded) -> None:
    from django.db import connection

    from custos import append_only
    from evidence.models import CUSTODY_GUARD

    item_id = seeded.long_chain_items[INVESTIGATOR_200]
    event = CustodyEvent.objects.get(item_id=item_id, seq=200)
    append_only.remove(connection, CUSTODY_GUARD)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE evidence_custodyevent SET location = 'elsewhere' WHERE id = %s", [event.pk]
        )
    append_only.install(connection, CUSTODY_GUARD)
    report = verify_chains()
    assert not report.ok
    assert (report.event_id, report.event_seq) == (event.pk, 200)
    assert report.reason.endswith("(altered)")


def test_each_investigator_sees_exactly_the_cases_of_their_teams(seeded) -> None:
    assert seeded.named == {INVESTIGATOR_200: N, INVESTIGATOR_20K: N}  # both capped at N
    users = [
        User.objects.get(username=INVESTIGATOR_200),
        *User.objects.filter(case_memberships__isnull=False).distinct()[:5],
    ]
    for user in users:
        member_of = set(CaseMember.objects.filter(user=user).values_list("case_id", flat=True))
        assert member_of
        assert set(selectors.cases_visible_to(user).values_list("pk", flat=True)) == member_of
        items = EvidenceItem.objects.visible_to(user)
        assert set(items.values_list("case_id", flat=True)) == member_of
    outsider = UserFactory(username="scale_outsider")
    assert not selectors.cases_visible_to(outsider).exists()


def test_team_roles_carry_their_guardian_permissions(seeded) -> None:
    member = CaseMember.objects.select_related("case", "user").filter(role="analyst").first()
    assert selectors.case_permissions(member.user, member.case) == {"view_case"}
    lead = CaseMember.objects.select_related("case", "user").filter(role="lead").first()
    assert "manage_case_team" in selectors.case_permissions(lead.user, lead.case)


def test_protected_persons_are_pseudonyms_to_the_team_and_absent_from_search(seeded) -> None:
    protected = CasePerson.objects.filter(protected=True).select_related("case", "person")
    assert protected.exists()
    inv = User.objects.get(username=INVESTIGATOR_200)
    for case_person in protected:
        assert case_person.pseudonym
        assert case_person.pseudonym in case_person.case.search_document
        assert case_person.person.full_name not in case_person.case.search_document
        rows = selectors.person_rows(inv, case_person.case, pk=case_person.pk)
        assert rows[0].person is None
        assert rows[0].label == case_person.pseudonym
    lead_of = CaseMember.objects.get(case=protected[0].case, role="lead").user
    assert selectors.person_rows(lead_of, protected[0].case, pk=protected[0].pk)[0].person


def test_seeded_search_documents_are_what_the_product_would_store(seeded) -> None:
    """seed_scale builds each document with the product's own function, from the incidents
    and pseudonyms in the order the product reads them."""
    several = 0
    for case in Case.objects.all():
        several += case.incidents.count() > 1
        assert case.search_document == search_document_for(case), case.reference
    assert several  # the order of incidents is exercised


def test_the_case_list_and_a_new_case_work_on_seeded_data(seeded, client: Client) -> None:
    inv = User.objects.get(username=INVESTIGATOR_200)
    client.force_login(inv)
    newest = selectors.case_list(inv).first()
    page = client.get(reverse("cases:list"))
    assert newest.reference in page.content.decode()
    found = client.get(reverse("cases:list"), {"q": newest.title.split()[-1]})
    assert newest.reference in found.content.decode()
    item = EvidenceItem.objects.get(pk=seeded.long_chain_items[INVESTIGATOR_200])
    detail = client.get(reverse("evidence:detail", args=[item.pk]))
    assert detail.content.decode().count(item.exhibit) >= 1
    assert item.custody_seq == 400
    # The reference counters continue after the seeded numbers.
    for year, last in CaseReferenceCounter.objects.values_list("year", "last_number"):
        assert not Case.objects.filter(year=year, number__gt=last).exists()


def test_seeded_crime_category_flags_match_the_crimes(seeded) -> None:
    for case in Case.objects.all():
        alleged = selectors.crime_categories_for(case)
        assert set(case.crime_categories) == alleged
        assert alleged


def test_a_second_run_adds_cases_and_reuses_the_users(seeded) -> None:
    users = User.objects.count()
    persons = Person.objects.count()
    again = seed_scale(cases=3, seed=1)
    assert Case.objects.count() == N + 3
    assert User.objects.count() == users
    assert Person.objects.count() > persons
    assert again.named[INVESTIGATOR_20K] == 3
    assert verify_chains().ok
    assert audit_verify().ok
