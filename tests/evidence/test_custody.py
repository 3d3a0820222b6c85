"""The chain of custody: append-only in the database, hash-chained, a two-party hand-over,
and a state machine the custodian cannot cheat."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from audit.models import AuditEvent
from custos import append_only
from evidence import services
from evidence.custody import GENESIS, event_hash, verify_item
from evidence.models import CUSTODY_GUARD, CustodyEvent, CustodyTransfer, EvidenceItem
from tests.evidence.conftest import Evidence
from tests.factories import PASSWORD

Kind = CustodyEvent.Kind


def _raw(sql: str, params: list[Any]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_registering_an_item_opens_its_chain(ev: Evidence) -> None:
    first = ev.item.custody_events.get(seq=1)
    assert (first.seq, first.kind, first.to_user) == (1, Kind.RECEIVED, ev.world.investigator)
    assert first.prev_hash == GENESIS
    assert first.hash == event_hash(GENESIS, first)
    assert verify_item(ev.item) is None


def test_raw_update_and_delete_of_custody_events_are_refused(ev: Evidence) -> None:
    event = ev.item.custody_events.get(seq=1)
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE evidence_custodyevent SET notes = 'moved quietly' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM evidence_custodyevent WHERE id = %s", [event.pk])
    assert CustodyEvent.objects.get(pk=event.pk).notes == ""


def test_verify_custody_names_an_event_altered_with_the_trigger_disabled(ev: Evidence) -> None:
    services.custody_record(
        item=ev.item, actor=ev.world.investigator, kind=Kind.EXAMINED, purpose="Read the statement"
    )
    event = ev.item.custody_events.get(seq=3)  # after its registration and its file
    append_only.remove(connection, CUSTODY_GUARD)
    _raw("UPDATE evidence_custodyevent SET purpose = 'nothing happened' WHERE id = %s", [event.pk])
    append_only.install(connection, CUSTODY_GUARD)
    with pytest.raises(
        CommandError, match=rf"{ev.item.exhibit} broken at event #3 \(id={event.pk}\)"
    ):
        call_command("verify_custody")
    with pytest.raises(CommandError, match="altered"):
        call_command("verify_custody", "--case", ev.world.case.reference)


def test_verify_custody_reports_intact_chains(ev: Evidence, capsys) -> None:
    call_command("verify_custody")
    assert "1 items verified" in capsys.readouterr().out


def _accept(client: Client, transfer: CustodyTransfer, password: str = PASSWORD):
    return client.post(
        reverse("evidence:transfer_accept", args=[transfer.pk]),
        {"password": password, "location": "Safe 3"},
    )


def test_a_hand_over_is_a_handshake_signed_by_the_recipient(client: Client, ev: Evidence) -> None:
    world = ev.world
    transfer = services.transfer_initiate(
        item=ev.item, actor=world.investigator, to_user=world.lead, purpose="Expert review"
    )
    ev.item.refresh_from_db()
    assert ev.item.status == EvidenceItem.Status.IN_TRANSIT
    assert ev.item.custodian == world.investigator  # until the recipient accepts
    assert world.lead.notifications.filter(title__icontains="handed over").exists()

    client.force_login(world.analyst)  # a reader who is not the recipient
    refused = _accept(client, transfer)
    assert "meant for someone else" in refused.content.decode()

    client.force_login(world.lead)
    wrong = _accept(client, transfer, password="not it")
    assert "The password is not correct." in wrong.content.decode()
    ok = _accept(client, transfer)
    assert ok["Location"] == reverse("evidence:detail", args=[ev.item.pk])
    ev.item.refresh_from_db()
    assert (ev.item.custodian, ev.item.status, ev.item.storage_location) == (
        world.lead,
        EvidenceItem.Status.IN_CUSTODY,
        "Safe 3",
    )
    last = ev.item.custody_events.order_by("seq").last()
    assert (last.kind, last.from_user, last.to_user, last.seq) == (
        Kind.TRANSFERRED,
        world.investigator,
        world.lead,
        3,
    )
    assert verify_item(ev.item) is None
    assert AuditEvent.objects.filter(action="custody.transferred", actor=world.lead).exists()


def test_only_the_custodian_can_hand_over_and_not_to_themselves(ev: Evidence) -> None:
    world = ev.world
    with pytest.raises(ValidationError, match="Only the current custodian"):
        services.transfer_initiate(item=ev.item, actor=world.lead, to_user=world.lead, purpose="x")
    with pytest.raises(ValidationError, match="already hold"):
        services.transfer_initiate(
            item=ev.item, actor=world.investigator, to_user=world.investigator, purpose="x"
        )
    with pytest.raises(ValidationError, match="investigator or lead on this case"):
        services.transfer_initiate(
            item=ev.item, actor=world.investigator, to_user=world.analyst, purpose="x"
        )
    assert ev.item.custody_events.count() == 2  # registered, file attached
    assert not CustodyTransfer.objects.exists()


def test_a_second_hand_over_while_one_waits_is_refused(ev: Evidence) -> None:
    world = ev.world
    services.transfer_initiate(
        item=ev.item, actor=world.investigator, to_user=world.lead, purpose="a"
    )
    with pytest.raises(ValidationError, match="cannot be handed over"):
        services.transfer_initiate(
            item=ev.item, actor=world.investigator, to_user=world.lead, purpose="b"
        )


def test_a_cancelled_hand_over_returns_the_item_to_custody(ev: Evidence) -> None:
    world = ev.world
    transfer = services.transfer_initiate(
        item=ev.item, actor=world.investigator, to_user=world.lead, purpose="a"
    )
    services.transfer_cancel(transfer=transfer, actor=world.investigator)
    ev.item.refresh_from_db()
    assert ev.item.status == EvidenceItem.Status.IN_CUSTODY
    with pytest.raises(ValidationError, match="no longer waiting"):
        services.transfer_accept(transfer=transfer, actor=world.lead)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_hand_overs_of_one_item_one_wins_and_the_chain_does_not_fork() -> None:
    from tests.cases.conftest import open_case
    from tests.factories import UserFactory

    lead = UserFactory(username="race_lead", roles=[Role.CASE_LEAD])
    first = UserFactory(username="race_a", roles=[Role.INVESTIGATOR])
    second = UserFactory(username="race_b", roles=[Role.INVESTIGATOR])
    case = open_case(lead)
    from cases import services as case_services

    for user in (first, second):
        case_services.case_member_add(case=case, actor=lead, user=user, role="investigator")
    item, _ = services.item_create(
        case=case, actor=lead, kind="physical", description="Shell casing"
    )
    results: list[object] = []
    barrier = threading.Barrier(2)

    def hand_over(to_user: User) -> None:
        try:
            barrier.wait()
            results.append(
                services.transfer_initiate(item=item, actor=lead, to_user=to_user, purpose="race")
            )
        except ValidationError as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=hand_over, args=(u,)) for u in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    won = [r for r in results if isinstance(r, CustodyTransfer)]
    lost = [r for r in results if isinstance(r, ValidationError)]
    assert (len(won), len(lost)) == (1, 1)
    assert "cannot be handed over" in " ".join(lost[0].messages)
    services.transfer_accept(transfer=won[0], actor=won[0].to_user)
    assert list(item.custody_events.values_list("seq", flat=True)) == [1, 2]
    item.refresh_from_db()
    assert verify_item(item) is None


def test_custody_steps_follow_the_item_status(ev: Evidence) -> None:
    world, item = ev.world, ev.item
    services.custody_record(
        item=item, actor=world.investigator, kind=Kind.CHECKED_OUT, purpose="Forensic examination"
    )
    with pytest.raises(ValidationError, match="Not possible while the item is"):
        services.custody_record(item=item, actor=world.investigator, kind=Kind.MOVED, location="B")
    services.custody_record(item=item, actor=world.investigator, kind=Kind.CHECKED_IN)
    with pytest.raises(ValidationError, match="seal numbers"):
        services.custody_record(item=item, actor=world.investigator, kind=Kind.SEALED)
    services.custody_record(
        item=item, actor=world.investigator, kind=Kind.SEALED, seal_numbers="S-1001"
    )
    item.refresh_from_db()
    assert item.seal_numbers == "S-1001"
    assert [e.kind for e in item.custody_events.order_by("seq")] == [
        Kind.RECEIVED,
        Kind.FILE_ATTACHED,
        Kind.CHECKED_OUT,
        Kind.CHECKED_IN,
        Kind.SEALED,
    ]
    assert verify_item(item) is None


def test_a_non_custodian_cannot_record_custody(ev: Evidence) -> None:
    with pytest.raises(ValidationError, match="Only the current custodian"):
        services.custody_record(item=ev.item, actor=ev.world.lead, kind=Kind.EXAMINED)


def test_destruction_needs_a_case_lead_and_an_authorisation(ev: Evidence) -> None:
    world = ev.world
    with pytest.raises(ValidationError, match="Only a case lead"):
        services.custody_record(
            item=ev.item, actor=world.investigator, kind=Kind.DESTROYED, authorisation="Order 12"
        )
    transfer = services.transfer_initiate(
        item=ev.item, actor=world.investigator, to_user=world.lead, purpose="For destruction"
    )
    services.transfer_accept(transfer=transfer, actor=world.lead)
    with pytest.raises(ValidationError, match="authorisation"):
        services.custody_record(item=ev.item, actor=world.lead, kind=Kind.DESTROYED)
    services.custody_record(
        item=ev.item,
        actor=world.lead,
        kind=Kind.DESTROYED,
        authorisation="Prosecutor's order 2026/12",
    )
    ev.item.refresh_from_db()
    assert (ev.item.status, ev.item.custodian) == (EvidenceItem.Status.DESTROYED, None)
    last = ev.item.custody_events.order_by("seq").last()
    assert "Prosecutor's order 2026/12" in last.notes


def test_a_release_to_a_partner_names_the_recipient(client: Client, ev: Evidence) -> None:
    client.force_login(ev.world.investigator)
    url = reverse("evidence:custody_event", args=[ev.item.pk])
    missing = client.post(url, {"kind": Kind.RELEASED})
    assert "Say to whom the item is handed over." in missing.content.decode()
    ok = client.post(url, {"kind": Kind.RELEASED, "to_external": "International tribunal registry"})
    assert ok.status_code == 302
    ev.item.refresh_from_db()
    assert ev.item.status == EvidenceItem.Status.RELEASED


def test_custody_events_join_the_case_timeline(client: Client, ev: Evidence) -> None:
    client.force_login(ev.world.analyst)
    html = client.get(reverse("cases:timeline", args=[ev.world.case.pk])).content.decode()
    assert f"{ev.item.exhibit}: Received" in html


def test_the_item_page_shows_the_chain_and_the_files(client: Client, ev: Evidence) -> None:
    client.force_login(ev.world.analyst)
    html = client.get(reverse("evidence:detail", args=[ev.item.pk])).content.decode()
    assert ev.original.blob.sha256 in html
    assert "Chain of custody" in html
    assert ev.item.custody_events.get(seq=1).hash[:16] in html
    assert AuditEvent.objects.filter(action="evidence.viewed", actor=ev.world.analyst).exists()
