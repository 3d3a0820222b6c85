"""When a custody event happened: never before the item was acquired or before the event it
follows, never in the future, never before 1900, unless it is a late entry that says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from evidence import services
from evidence.models import CustodyEvent, EvidenceItem
from tests.cases.conftest import SHARED_WORLD, World
from tests.evidence.conftest import Evidence

pytestmark = SHARED_WORLD  # the case world is built once for the module

Kind = CustodyEvent.Kind
IN_1990 = datetime(1990, 5, 1, 12, 0, tzinfo=UTC)


def _record(ev: Evidence, **kwargs: Any) -> CustodyEvent:
    return services.custody_record(
        item=ev.item, actor=ev.world.investigator, kind=Kind.EXAMINED, **kwargs
    )


def test_an_event_dated_1990_is_refused(ev: Evidence) -> None:
    with pytest.raises(ValidationError, match="The item was acquired on"):
        _record(ev, occurred_at=IN_1990)
    assert ev.item.custody_events.count() == 2


def _collected(world: World, days_ago: int) -> EvidenceItem:
    item, _ = services.item_create(
        case=world.case,
        actor=world.investigator,
        kind=EvidenceItem.Kind.PHYSICAL,
        description="A fragment",
        collected_at=timezone.now() - timedelta(days=days_ago),
    )
    return item


def test_an_event_before_the_previous_one_is_refused(world: World) -> None:
    item = _collected(world, days_ago=10)
    two_days_ago = timezone.now() - timedelta(days=2)
    services.custody_record(
        item=item, actor=world.investigator, kind=Kind.EXAMINED, occurred_at=two_days_ago
    )
    with pytest.raises(ValidationError, match="The previous event happened on"):
        services.custody_record(
            item=item,
            actor=world.investigator,
            kind=Kind.EXAMINED,
            occurred_at=two_days_ago - timedelta(days=1),
        )


def test_an_event_before_the_collection_is_refused(world: World) -> None:
    item = _collected(world, days_ago=10)
    collected = item.collected_at
    assert collected is not None
    with pytest.raises(ValidationError, match="The item was acquired on"):
        services.custody_record(
            item=item,
            actor=world.investigator,
            kind=Kind.SEALED,
            seal_numbers="S-1",
            occurred_at=collected - timedelta(days=1),
        )


def test_absurd_and_future_times_are_refused_even_as_late_entries(ev: Evidence) -> None:
    late = {"late_entry": True, "late_reason": "Found in an old notebook"}
    with pytest.raises(ValidationError, match="before 1900"):
        _record(ev, occurred_at=datetime(1850, 1, 1, tzinfo=UTC), **late)
    with pytest.raises(ValidationError, match="cannot be in the future"):
        _record(ev, occurred_at=timezone.now() + timedelta(days=1), **late)


def test_a_late_entry_needs_its_reason(ev: Evidence) -> None:
    with pytest.raises(ValidationError, match="Say why this event is recorded late"):
        _record(ev, occurred_at=IN_1990, late_entry=True, late_reason="  ")


def test_a_late_entry_with_its_reason_is_recorded_and_shown(
    client: Client, ev: Evidence, capsys: pytest.CaptureFixture
) -> None:
    client.force_login(ev.world.investigator)
    url = reverse("evidence:custody_event", args=[ev.item.pk])
    refused = client.post(url, {"kind": Kind.EXAMINED, "occurred_at": "1990-05-01T12:00"})
    assert "The item was acquired on" in refused.content.decode()
    ok = client.post(
        url,
        {
            "kind": Kind.EXAMINED,
            "occurred_at": "1990-05-01T12:00",
            "late_entry": "on",
            "late_reason": "Examination notes found in the archive",
            "purpose": "Archive examination",
        },
    )
    assert ok.status_code == 302
    event = ev.item.custody_events.order_by("seq").last()
    assert event.late_reason == "Examination notes found in the archive"
    assert event.occurred_at.year == 1990
    assert event.recorded_at > event.occurred_at
    call_command("verify_custody")  # the reason is part of the event's hash

    html = client.get(reverse("evidence:detail", args=[ev.item.pk])).content.decode()
    assert "Late entry" in html
    assert "Examination notes found in the archive" in html
    assert event.recorded_at.isoformat(timespec="seconds")[:16] in html  # recorded, and
    assert event.occurred_at.isoformat(timespec="seconds")[:16] in html  # occurred


def test_the_late_reason_is_covered_by_the_hash(ev: Evidence) -> None:
    from evidence.custody import event_hash

    event = _record(ev, occurred_at=IN_1990, late_entry=True, late_reason="Archive")
    assert event.hash == event_hash(event.prev_hash, event)
    event.late_reason = "Something else"
    assert event.hash != event_hash(event.prev_hash, event)
