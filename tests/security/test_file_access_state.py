"""Who reads an evidence file is decided by rows a SQL prompt could change: the item's source
person, the persons it identifies, its classification and the approval of a redacted copy.
``verify_access_state`` names each of them changed behind the services' back; and a person
protected in another case stays protected here even if this case's flag is lifted by SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Clearance
from audit.services import audit_record
from cases import services as case_services
from cases.access_state import access_state_verify
from cases.selectors import person_row
from evidence import access, services
from evidence.models import EvidenceFile, EvidenceItem
from partners.models import Package
from partners.packages.pdf import content
from tests.cases.conftest import SHARED_WORLD, WITNESS_NAME, World, open_case
from tests.evidence.conftest import PDF, hashed_upload

pytestmark = SHARED_WORLD  # the case world is built once for the module

WITHHELD = "Withheld: identifies a protected person"


@dataclass
class Files:
    """Items of the world identifying its protected witness, one classified above the case,
    with an approved and an unapproved redacted copy."""

    world: World
    by_source: EvidenceItem
    by_mark: EvidenceItem
    secret: EvidenceItem  # classified above its case
    original: EvidenceFile  # of ``by_source``
    approved: EvidenceFile  # redacted copy of ``by_source``, approved by the lead
    unapproved: EvidenceFile  # redacted copy of ``by_mark``, waiting


@pytest.fixture
def files(world: World) -> Files:
    w = world
    by_source, added = services.item_create(
        case=w.case,
        actor=w.lead,
        upload=hashed_upload(PDF + b"statement", "statement.pdf"),
        kind=EvidenceItem.Kind.STATEMENT,
        description="Statement of the protected witness",
        source_kind=EvidenceItem.SourceKind.PERSON,
        source_person=w.witness,
    )
    by_mark, added_mark = services.item_create(
        case=w.case,
        actor=w.lead,
        upload=hashed_upload(PDF + b"photograph", "photograph.pdf"),
        kind=EvidenceItem.Kind.PHOTOGRAPH,
        description="Photograph of the crater",
        identifies=[w.witness],
    )
    secret, _ = services.item_create(
        case=w.case,
        actor=w.lead,
        kind=EvidenceItem.Kind.DOCUMENT,
        description="Intercepted order",
        classification=Clearance.CONFIDENTIAL,
    )
    approved = services.file_add(
        item=by_source,
        actor=w.lead,
        upload=hashed_upload(PDF + b"REDACTED", "redacted.pdf"),
        role=EvidenceFile.Role.REDACTED,
        derived_from=added.file,
        method="names removed",
    ).file
    services.redaction_approve(file=approved, actor=w.lead)
    unapproved = services.file_add(
        item=by_mark,
        actor=w.lead,
        upload=hashed_upload(PDF + b"faces", "blurred.pdf"),
        role=EvidenceFile.Role.REDACTED,
        derived_from=added_mark.file,
        method="faces blurred",
    ).file
    return Files(w, by_source, by_mark, secret, added.file, approved, unapproved)


def _sql(statement: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _named(prefix: str) -> list[str]:
    return [p for p in access_state_verify() if p.startswith(prefix)]


def test_files_and_their_changes_made_through_the_services_verify_clean(files: Files) -> None:
    w = files.world
    services.item_update(
        item=files.secret, actor=w.lead, classification=Clearance.SECRET, identifies=[w.witness]
    )
    services.item_update(item=files.by_mark, actor=w.lead, identifies=[w.suspect])
    services.item_update(
        item=files.by_source,
        actor=w.lead,
        source_person=w.suspect,
        identifies=[w.witness, w.suspect],
    )
    assert access_state_verify() == []
    call_command("verify_access_state")


def test_an_identifies_row_deleted_by_sql_is_named(files: Files) -> None:
    _sql(
        "DELETE FROM evidence_evidenceitem_identifies WHERE evidenceitem_id = %s",
        [files.by_mark.pk],
    )
    assert access.identities_of(files.by_mark) == frozenset()  # the files would be open
    named = _named(f"EvidenceItem id={files.by_mark.pk} identifies the case persons []")
    assert len(named) == 1
    assert f"missing: [{files.world.witness.pk}]" in named[0]
    with pytest.raises(CommandError, match="problem"):
        call_command("verify_access_state")


def test_a_source_person_nulled_by_sql_is_named(files: Files) -> None:
    _sql(
        "UPDATE evidence_evidenceitem SET source_person_id = NULL WHERE id = %s",
        [files.by_source.pk],
    )
    assert _named(
        f"EvidenceItem id={files.by_source.pk} has the source person id=None, but audit row"
    )


def test_a_classification_lowered_by_sql_is_named(files: Files) -> None:
    _sql(
        "UPDATE evidence_evidenceitem SET classification = %s WHERE id = %s",
        [Clearance.RESTRICTED, files.secret.pk],
    )
    assert _named(
        f"EvidenceItem id={files.secret.pk} is classified {Clearance.RESTRICTED}, but audit row"
    )


def test_a_redaction_approved_by_sql_is_named(files: Files) -> None:
    _sql(
        "UPDATE evidence_evidencefile SET redaction_approved_at = %s, "
        "redaction_approved_by_id = %s WHERE id = %s",
        [timezone.now(), files.world.lead.pk, files.unapproved.pk],
    )
    assert _named(f"EvidenceFile id={files.unapproved.pk} (of item id={files.by_mark.pk}) is an")


def test_an_approved_redaction_with_another_approver_or_other_bytes_is_named(
    files: Files,
) -> None:
    _sql(
        "UPDATE evidence_evidencefile SET redaction_approved_by_id = %s, blob_id = %s "
        "WHERE id = %s",
        [files.world.analyst.pk, files.original.blob_id, files.approved.pk],
    )
    assert _named(f"EvidenceFile id={files.approved.pk} says user id={files.world.analyst.pk}")
    assert _named(f"EvidenceFile id={files.approved.pk} is approved, but its bytes are not")


def test_a_value_an_older_audit_row_did_not_carry_is_not_checked(files: Files) -> None:
    """Before the audit rows carried the new value, ``evidence.updated`` said only which
    fields changed: from such a row on, the value is not known and not compared."""
    audit_record(
        actor=files.world.lead,
        action="evidence.updated",
        target=files.secret,
        details={"fields": ["classification"]},
    )
    _sql(
        "UPDATE evidence_evidenceitem SET classification = %s WHERE id = %s",
        [Clearance.RESTRICTED, files.secret.pk],
    )
    assert access_state_verify() == []


def test_a_person_protected_elsewhere_stays_withheld_when_the_flag_here_is_lifted_by_sql(
    files: Files, client: Client
) -> None:
    w = files.world
    second = open_case(w.lead, title="Second case")
    elsewhere = case_services.case_person_add(
        case=second, actor=w.lead, role="victim", person=w.witness.person
    )
    assert elsewhere.protected  # protection follows the person
    _sql("UPDATE cases_caseperson SET protected = %s WHERE id = %s", [False, w.witness.pk])
    row = person_row(w.analyst, w.case, w.witness.pk)
    assert (row.person, row.label, row.protected) == (None, w.witness.pseudonym, True)
    client.force_login(w.analyst)
    persons = client.get(reverse("cases:persons", args=[w.case.pk])).content.decode()
    assert WITNESS_NAME not in persons
    assert w.witness.pseudonym in persons
    assert access.identities_of(files.by_source) == frozenset({w.witness.pk})
    page = client.get(reverse("evidence:detail", args=[files.by_source.pk])).content.decode()
    assert WITHHELD in page
    assert reverse("evidence:download", args=[files.approved.pk]) in page
    assert client.get(reverse("evidence:download", args=[files.original.pk])).status_code == 404
    marked = files.by_mark.files.get(role=EvidenceFile.Role.ORIGINAL)
    assert client.get(reverse("evidence:download", args=[marked.pk])).status_code == 404
    # Without its pseudonym too, the analyst reads only that the person is withheld.
    _sql("UPDATE cases_caseperson SET pseudonym = '' WHERE id = %s", [w.witness.pk])
    row = person_row(w.analyst, w.case, w.witness.pk)
    assert (row.person, row.label) == (None, "Withheld (protected person)")
    persons = client.get(reverse("cases:persons", args=[w.case.pk])).content.decode()
    assert WITNESS_NAME not in persons
    assert "Withheld (protected person)" in persons
    # The lead who protected the witness still holds the identity.
    assert person_row(w.lead, w.case, w.witness.pk).label == WITNESS_NAME
    # A package that does not disclose her names her as withheld too (its persons and labels).
    package = Package.objects.create(
        case=w.case,
        recipient="ICC",
        purpose="disclosure",
        sections=["persons"],
        requested_by=w.lead,
    )
    labels = content.person_labels(package)
    entries = {e.label for e in content.person_entries(package)}
    assert labels[w.witness.pk] == "Withheld (protected person)"
    assert WITNESS_NAME not in entries
    assert "Withheld (protected person)" in entries


def test_the_evidence_check_reads_the_same_number_of_times_for_any_number_of_items(
    files: Files,
) -> None:
    from django.test.utils import CaptureQueriesContext

    from evidence.access_state import evidence_access_state_verify

    def reads() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert evidence_access_state_verify() == []
        return len(queries)

    before = reads()
    for n in range(5):
        services.item_create(
            case=files.world.case,
            actor=files.world.lead,
            kind=EvidenceItem.Kind.DOCUMENT,
            description=f"Order {n}",
            identifies=[files.world.witness],
        )
    assert reads() == before
