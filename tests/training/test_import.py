"""CSV import of nominations: all or nothing, every bad row reported by its line number."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import User
from partners.models import PartnerOrganisation
from tests.training.conftest import applicant
from training import services
from training.models import Application, Session

HEADER = "session,email,partner,country,organisation,function,years_experience,gender,motivation"


@pytest.fixture
def partner(db: None) -> PartnerOrganisation:
    return PartnerOrganisation.objects.create(
        name="International Residual Mechanism", acronym="IRMCT", kind="tribunal"
    )


def _csv(session: Session, *rows: str) -> str:
    return "\n".join([HEADER, *(row.replace("{s}", str(session.pk)) for row in rows)]) + "\n"


def test_a_good_file_imports_every_nomination(
    session: Session, training_admin: User, partner: PartnerOrganisation
) -> None:
    applicant("n1")  # e-mail n1@example.org
    applicant("n2")
    text = _csv(
        session,
        "{s},n1@example.org,IRMCT,UA,,Investigator,4,female,",
        "{s},n2@example.org,"
        "International Residual Mechanism,BA,Prosecutor's office,Analyst,9,male,",
    )
    assert services.nominations_import(actor=training_admin, text=text) == 2
    imported = Application.objects.order_by("pk")
    assert [a.nominated_by for a in imported] == [partner, partner]
    assert [a.organisation for a in imported] == [partner.name, "Prosecutor's office"]
    assert all(a.organisation_international for a in imported)


def test_a_file_with_bad_rows_imports_nothing_and_names_each_line(
    session: Session, training_admin: User, partner: PartnerOrganisation
) -> None:
    applicant("n1")
    applicant("n2")
    text = _csv(
        session,
        "{s},n1@example.org,IRMCT,UA,,Investigator,4,female,",  # line 2: good
        "{s},nobody@example.org,IRMCT,UA,,Investigator,4,female,",  # line 3: no account
        "{s},n2@example.org,Unknown Org,XX,,Investigator,many,female,",  # line 4: three faults
        "{s},n1@example.org,IRMCT,UA,,Investigator,4,female,",  # line 5: applied twice
    )
    with pytest.raises(ValidationError) as caught:
        services.nominations_import(actor=training_admin, text=text)
    messages = caught.value.messages
    assert [m.split(":")[0] for m in messages] == ["Line 3", "Line 4", "Line 5"]
    assert "nobody@example.org" in messages[0]
    assert "unknown partner" in messages[1]
    assert "unknown country" in messages[1]
    assert "whole number" in messages[1]
    assert "already applied" in messages[2]
    assert not Application.objects.exists()


def test_the_import_page_shows_the_line_numbered_errors(
    client: Client, session: Session, training_admin: User, partner: PartnerOrganisation
) -> None:
    client.force_login(training_admin)
    upload = SimpleUploadedFile(
        "nominations.csv",
        _csv(session, "{s},ghost@example.org,IRMCT,UA,,Investigator,4,,").encode(),
    )
    response = client.post(reverse("training:import"), {"file": upload})
    assert response.status_code == 200
    assert "Line 2: no active account" in response.content.decode()
    assert not Application.objects.exists()


def test_a_file_without_the_columns_is_refused(training_admin: User) -> None:
    with pytest.raises(ValidationError, match="Line 1: missing columns"):
        services.nominations_import(actor=training_admin, text="email\nx@example.org\n")
