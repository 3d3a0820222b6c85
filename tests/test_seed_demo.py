"""The demo database: ``seed_demo`` runs once for the module (its output kept), in the
module's transaction (tests/conftest.py ``module_db``), and every test reads what it made;
each test's own changes roll back. Refusing to seed in production needs an empty database:
tests/test_seed_demo_refused.py."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from audit.models import AuditEvent
from cases.models import Case, CasePerson
from devdata.demo.accounts import DEMO_PASSWORD
from tests.responses import streamed


@pytest.fixture(scope="module")
def seeded(
    module_db: None, tmp_path_factory: pytest.TempPathFactory, signing_p12: Path
) -> tuple[Path, str]:
    """The demo, seeded once: its files' folder and what the command printed."""
    files = tmp_path_factory.mktemp("demo-files")
    out = io.StringIO()
    with override_settings(
        MEDIA_ROOT=str(files),
        CUSTOS_SIGNING_P12=signing_p12,
        CUSTOS_SIGNING_PASSPHRASE="test-passphrase",
    ):
        call_command("seed_demo", stdout=out)
    return files, out.getvalue()


@pytest.fixture(autouse=True)
def demo(seeded: tuple[Path, str], settings, db: None) -> str:
    """Each test reads the seeded demo (and its stored files); returns the command's output."""
    settings.MEDIA_ROOT = str(seeded[0])
    return seeded[1]


def test_seed_demo_creates_the_demo_users_with_their_roles(demo: str) -> None:
    out = demo
    expected = {
        "admin": Role.UNIT_ADMIN,
        "lead": Role.CASE_LEAD,
        "investigator": Role.INVESTIGATOR,
        "analyst": Role.ANALYST,
        "liaison": Role.TRIBUNAL_LIAISON,
        "trainer": Role.TRAINING_ADMIN,
        "trainee": Role.TRAINEE,
    }
    for username, role in expected.items():
        user = User.objects.get(username=username)
        assert user.roles == {role.value}
        assert username in out
    assert DEMO_PASSWORD in out


def test_seed_demo_run_twice_creates_nothing_new() -> None:
    counts = (
        User.objects.count(),
        Case.objects.count(),
        CasePerson.objects.count(),
        AuditEvent.objects.count(),
    )
    call_command("seed_demo")
    assert counts[1] == 3
    assert (
        User.objects.count(),
        Case.objects.count(),
        CasePerson.objects.count(),
        AuditEvent.objects.count(),
    ) == counts


def test_demo_cases_are_fictional_and_protect_some_witnesses(client: Client) -> None:
    assert all(c.title.startswith("[DEMO]") for c in Case.objects.all())
    assert {code for case in Case.objects.all() for code in case.countries} <= {"XN", "XS"}
    protected = CasePerson.objects.filter(protected=True)
    assert protected.count() == 3
    # The analyst is on the market case but was granted no identity: pseudonyms only.
    client.post("/accounts/login/", {"username": "analyst", "password": DEMO_PASSWORD})
    market = Case.objects.get(title__contains="Eastbrook")
    html = client.get(f"/cases/{market.pk}/persons/").content.decode()
    assert "W-0001" in html
    assert "Mira Demo-Halden" not in html
    assert "Col. Aric Demo-Valen" in html


def test_demo_logins_work(client: Client) -> None:
    response = client.post("/accounts/login/", {"username": "lead", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert "Case lead" in client.get("/").content.decode()


def test_demo_evidence_has_files_and_valid_custody_histories() -> None:
    from evidence.custody import verify_item
    from evidence.models import CustodyTransfer, EvidenceItem

    items = EvidenceItem.objects.all()
    assert items.count() == 5
    assert all(verify_item(item) is None for item in items)
    call_command("verify_custody")  # every file bound to its chain, nothing missing
    capture = items.get(kind="open_source")
    assert (capture.capture_url, capture.capture_collector, capture.files.count()) == (
        "https://social.example/eastbrook-news/posts/4711",
        "Jonas Weber (investigator)",
        1,
    )
    casing = items.get(kind="physical")
    assert casing.custody_events.count() == 6
    assert casing.seal_numbers == "SEAL-2024-0142"
    assert CustodyTransfer.objects.filter(status="pending").count() == 1  # one still in transit
    assert items.get(kind="photograph").graphic


def test_demo_partners_share_the_market_case_with_the_demo_liaison(client: Client) -> None:
    from partners.models import Agreement, PartnerOrganisation

    assert PartnerOrganisation.objects.values("kind").distinct().count() == 7
    assert Agreement.objects.filter(
        valid_until__lte=timezone.localdate() + timedelta(days=60)
    ).exists()
    client.post("/accounts/login/", {"username": "liaison", "password": DEMO_PASSWORD})
    html = client.get("/partners/shared/").content.decode()
    assert "[DEMO] Shelling of Eastbrook market" in html
    assert "Greyfort" not in html  # not shared
    client.post("/accounts/logout/")
    client.post("/accounts/login/", {"username": "admin", "password": DEMO_PASSWORD})
    assert "Agreements about to expire" in client.get("/").content.decode()


def test_the_demo_statement_is_withheld_from_the_analyst_who_reads_its_approved_redaction(
    client: Client,
) -> None:
    """The statement of W-0001 identifies her: the analyst (no grant) sees "withheld" and the
    redacted copy the lead approved; the lead, who protected her, reads the original."""
    from django.urls import reverse

    from evidence.models import EvidenceFile, EvidenceItem

    statement = EvidenceItem.objects.get(kind="statement")
    assert statement.source_person.pseudonym == "W-0001"
    original = statement.files.get(role=EvidenceFile.Role.ORIGINAL)
    redacted = statement.files.get(role=EvidenceFile.Role.REDACTED)
    assert redacted.redaction_approved_by.username == "lead"
    page_url = reverse("evidence:detail", args=[statement.pk])
    client.post("/accounts/login/", {"username": "analyst", "password": DEMO_PASSWORD})
    page = client.get(page_url).content.decode()
    assert "Withheld: identifies a protected person" in page
    assert reverse("evidence:download", args=[redacted.pk]) in page
    assert reverse("evidence:download", args=[original.pk]) not in page
    assert client.get(reverse("evidence:download", args=[original.pk])).status_code == 404
    assert b"[redacted]" in streamed(client.get(reverse("evidence:download", args=[redacted.pk])))
    client.post("/accounts/logout/")
    client.post("/accounts/login/", {"username": "lead", "password": DEMO_PASSWORD})
    page = client.get(page_url).content.decode()
    assert "Withheld: identifies a protected person" not in page
    assert reverse("evidence:download", args=[original.pk]) in page
