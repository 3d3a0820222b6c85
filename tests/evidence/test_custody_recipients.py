"""Who may receive custody of an item is one rule: the hand-over form offers exactly those
users, and the service accepts no one else."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import User
from evidence import services
from evidence.selectors import custody_recipients
from tests.evidence.conftest import Evidence


def _offered(client: Client, ev: Evidence) -> str:
    client.force_login(ev.world.investigator)
    return client.get(reverse("evidence:transfer", args=[ev.item.pk])).content.decode()


def test_the_form_offers_the_cleared_active_contributors_and_the_service_accepts_only_them(
    client: Client, ev: Evidence
) -> None:
    w = ev.world
    assert list(custody_recipients(ev.item, w.investigator)) == [w.lead]
    page = _offered(client, ev)
    assert f'value="{w.lead.pk}"' in page
    for user in (w.analyst, w.colleague, w.investigator):
        assert f'value="{user.pk}"' not in page

    with pytest.raises(ValidationError, match="investigator or lead"):
        services.transfer_initiate(
            item=ev.item, actor=w.investigator, to_user=w.analyst, purpose="x"
        )
    with pytest.raises(ValidationError, match="investigator or lead"):
        services.transfer_initiate(
            item=ev.item, actor=w.investigator, to_user=w.colleague, purpose="x"
        )

    User.objects.filter(pk=w.lead.pk).update(is_active=False)
    w.lead.refresh_from_db()
    assert not custody_recipients(ev.item, w.investigator).exists()
    assert f'value="{w.lead.pk}"' not in _offered(client, ev)
    with pytest.raises(ValidationError, match="investigator or lead"):
        services.transfer_initiate(item=ev.item, actor=w.investigator, to_user=w.lead, purpose="x")
