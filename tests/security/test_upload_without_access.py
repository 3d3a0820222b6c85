"""A user without access to a case writes no byte by posting an upload to it: the evidence
upload is refused before its body is parsed or stored, and so are the other uploads of the
project (ASVS V8, V12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from tests.cases.conftest import SHARED_WORLD
from tests.evidence.conftest import (
    Evidence,
    stored_files,
    temp_files,
)
from tests.factories import UserFactory

pytestmark = SHARED_WORLD  # the case world is built once for the module


# --- An upload by someone without access writes nothing ------------------------------------


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the requests whose body was parsed (files written to disk)."""
    calls: list[str] = []
    original = HttpRequest._load_post_and_files

    def spy(request: HttpRequest) -> None:
        calls.append(request.path)
        original(request)

    monkeypatch.setattr(HttpRequest, "_load_post_and_files", spy)
    return calls


def _csrf_client(user: User) -> Client:
    """A browser with a CSRF cookie (so that Django's CSRF check reads the body for the
    token) but without the token: the request must be refused before that."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32
    return client


BIG = b"\0" * (16 * 1024 * 1024)


@pytest.mark.parametrize(
    ("who", "where", "status"),
    [
        ("trainer", "evidence:create", 404),
        ("outsider", "evidence:create", 404),
        ("analyst", "evidence:create", 403),
        ("trainer", "evidence:file_add", 404),
        ("analyst", "evidence:file_add", 403),
    ],
)
def test_an_evidence_upload_without_access_writes_no_byte(
    ev: Evidence,
    evidence_storage: Path,
    parsed: list[str],
    who: str,
    where: str,
    status: int,
) -> None:
    w = ev.world
    users = {
        "trainer": UserFactory(username="w_trainer", roles=[Role.TRAINING_ADMIN]),
        "outsider": UserFactory(username="w_outsider"),
        "analyst": w.analyst,
    }
    target = w.case.pk if where == "evidence:create" else ev.item.pk
    before = (len(stored_files(evidence_storage)), len(temp_files(evidence_storage)))
    response = _csrf_client(users[who]).post(
        reverse(where, args=[target]),
        {"upload": SimpleUploadedFile("big.bin", BIG), "kind": "document", "description": "x"},
    )
    assert response.status_code == status
    assert parsed == []
    after = (len(stored_files(evidence_storage)), len(temp_files(evidence_storage)))
    assert after == before


def test_other_uploads_without_access_are_refused_before_their_body_is_read(
    ev: Evidence, parsed: list[str], request: pytest.FixtureRequest
) -> None:
    partners = request.getfixturevalue("partners")
    analyst = ev.world.analyst
    upload = SimpleUploadedFile("big.pdf", BIG)
    posts = [
        (reverse("partners:agreement_add", args=[partners.org_a.pk]), {"document": upload}),
        (reverse("training:import"), {"file": upload}),
        (reverse("meetings:create"), {"minutes": upload}),
    ]
    for url, data in posts:
        upload.seek(0)
        response = _csrf_client(analyst).post(url, data)
        assert response.status_code in (403, 404), url
        assert "CSRF verification failed" not in response.content.decode(), url
    assert parsed == []
