"""The history of a case speaks the reader's language, whatever language its opener used."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from cases.models import StatusChange
from cases.services import case_create


def test_the_opening_step_is_shown_in_the_readers_language(lead: User, client: Client) -> None:
    with translation.override("fr"):
        case = case_create(actor=lead, title="Shelling of the market", summary="")
    opening = StatusChange.objects.get(case=case)
    assert opening.reason == "Case opened"  # stored in the source language, never translated

    lead.preferred_language = "es"
    lead.save(update_fields=["preferred_language"])
    client.force_login(lead)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Caso abierto" in page
    assert "Affaire ouverte" not in page
    timeline = client.get(reverse("cases:timeline", args=[case.pk])).content.decode()
    assert "Caso abierto" in timeline
