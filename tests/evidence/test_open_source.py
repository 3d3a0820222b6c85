"""Open-source captures (Berkeley Protocol): where, when and by whom it was captured, and the
captured file, are required; the platform, account and publication time are recorded and
shown."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from evidence import services
from evidence.models import EvidenceItem
from tests.cases.conftest import SHARED_WORLD, World
from tests.evidence.conftest import PNG, hashed_upload

pytestmark = SHARED_WORLD  # the case world is built once for the module


def _capture(**overrides: Any) -> dict[str, Any]:
    captured = timezone.now() - timedelta(days=1)
    return {
        "kind": EvidenceItem.Kind.OPEN_SOURCE,
        "description": "A post showing the market after the strike",
        "capture_url": "https://social.example/posts/1",
        "capture_time": captured,
        "capture_tool": "Archiving browser",
        "capture_collector": "OSINT analyst",
        "capture_platform": "A social network",
        "capture_account": "@market-news",
        "capture_published_at": captured - timedelta(hours=3),
        **overrides,
    }


def test_a_capture_needs_its_url_time_collector_and_file(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        services.item_create(
            case=world.case,
            actor=world.investigator,
            **_capture(capture_url="", capture_time=None, capture_collector=""),
        )
    assert set(caught.value.message_dict) == {
        "capture_url",
        "capture_time",
        "capture_collector",
        "upload",
    }
    assert not EvidenceItem.objects.exists()


def test_a_capture_cannot_be_published_after_it_was_captured(world: World) -> None:
    data = _capture()
    data["capture_published_at"] = data["capture_time"] + timedelta(hours=1)
    with pytest.raises(ValidationError, match="published after it was captured"):
        services.item_create(
            case=world.case, actor=world.investigator, upload=hashed_upload(PNG, "post.png"), **data
        )


def test_a_complete_capture_is_registered_and_shown(client: Client, world: World) -> None:
    item, added = services.item_create(
        case=world.case,
        actor=world.investigator,
        upload=hashed_upload(PNG, "post.png"),
        **_capture(),
    )
    assert (item.capture_platform, item.capture_account) == ("A social network", "@market-news")
    assert added is not None
    client.force_login(world.investigator)
    html = client.get(reverse("evidence:detail", args=[item.pk])).content.decode()
    for shown in ("https://social.example/posts/1", "A social network", "@market-news"):
        assert shown in html
    assert "Published on" in html


def test_an_edit_cannot_take_the_required_capture_fields_away(world: World) -> None:
    item, _ = services.item_create(
        case=world.case,
        actor=world.investigator,
        upload=hashed_upload(PNG, "post.png"),
        **_capture(),
    )
    with pytest.raises(ValidationError, match="needs the URL"):
        services.item_update(item=item, actor=world.investigator, capture_url="")
    item.refresh_from_db()
    assert item.capture_url == "https://social.example/posts/1"


def test_the_form_offers_platform_account_and_publication_time(
    client: Client, world: World
) -> None:
    client.force_login(world.investigator)
    url = reverse("evidence:create", args=[world.case.pk])
    html = client.get(url).content.decode()
    for name in ("capture_platform", "capture_account", "capture_published_at"):
        assert f'name="{name}"' in html
    refused = client.post(
        url,
        {
            "kind": EvidenceItem.Kind.OPEN_SOURCE,
            "description": "A post",
            "source_kind": "other",
            "classification": world.case.classification,
        },
    )
    assert refused.status_code == 200
    assert "An open-source capture needs the URL it was captured from." in refused.content.decode()
    assert not EvidenceItem.objects.exists()
