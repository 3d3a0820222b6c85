"""Need-to-know down to the file: an item that identifies a protected person (its source, or a
person it is marked as identifying) has its files read, named and counted only by those who
hold that identity (``evidence.access``). The rest of the team sees metadata, hashes, custody,
an approved redacted version and "withheld"; an item classified above a user's clearance is
not there at all for them. (A user without access to a case writes no byte by posting an
upload to it: tests/security/test_upload_without_access.py.)

Each identifying file carries a canary in its bytes and its name; the walk opens every page of
the case that could show a file's name or bytes as each reader who must not get them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse

from accounts.models import Clearance, User
from accounts.roles import Role
from audit.models import AuditEvent
from cases import services as case_services
from cases.models import CaseMember
from evidence import proof, services
from evidence.models import EvidenceFile, EvidenceItem, EvidenceLink
from evidence.uploads import HashedUpload
from tests.cases.conftest import SHARED_WORLD, World
from tests.evidence.conftest import (
    PDF,
    Evidence,
    allegation_for,
    hashed_upload,
)
from tests.factories import UserFactory
from tests.responses import body

pytestmark = SHARED_WORLD  # the case world is built once for the module

FILE_CANARY = "CANARY-FILE-9X"
UNAPPROVED_CANARY = "CANARY-UNAPPROVED-4K"
REDACTED_MARK = b"REDACTED-VERSION-OK"
WITHHELD = "Withheld: identifies a protected person"


@dataclass
class Identifying:
    """Two items identifying the protected witness (one by its source, one marked), with files
    whose bytes and names hold canaries, and their redacted versions."""

    ev: Evidence
    by_source: EvidenceItem
    by_mark: EvidenceItem
    withheld: list[EvidenceFile]  # every file only the witness's identity holders may read
    approved: EvidenceFile  # the approved redacted version of ``by_source``
    allegation_pk: int

    @property
    def world(self) -> World:
        return self.ev.world


def _canary_upload(tag: str, canary: str = FILE_CANARY) -> HashedUpload:
    return hashed_upload(PDF + f"{tag} {canary}".encode(), f"{tag}-{canary}.pdf")


@pytest.fixture
def idf(ev: Evidence) -> Identifying:
    w = ev.world
    by_source, added = services.item_create(
        case=w.case,
        actor=w.lead,
        upload=_canary_upload("statement"),
        kind=EvidenceItem.Kind.STATEMENT,
        description="Statement of the protected witness",
        source_kind=EvidenceItem.SourceKind.PERSON,
        source_person=w.witness,
    )
    original = added.file
    by_mark, added_mark = services.item_create(
        case=w.case,
        actor=w.lead,
        upload=_canary_upload("photograph"),
        kind=EvidenceItem.Kind.PHOTOGRAPH,
        description="Photograph of the crater",
        identifies=[w.witness],
    )
    translation = services.file_add(
        item=by_source,
        actor=w.lead,
        upload=_canary_upload("translation"),
        role=EvidenceFile.Role.TRANSLATION,
        derived_from=original,
        method="sworn translator",
    ).file
    approved = services.file_add(
        item=by_source,
        actor=w.lead,
        upload=hashed_upload(PDF + REDACTED_MARK, "redacted-statement.pdf"),
        role=EvidenceFile.Role.REDACTED,
        derived_from=original,
        method="names and faces removed",
    ).file
    services.redaction_approve(file=approved, actor=w.lead)
    unapproved = services.file_add(
        item=by_mark,
        actor=w.lead,
        upload=_canary_upload("redacted", UNAPPROVED_CANARY),
        role=EvidenceFile.Role.REDACTED,
        derived_from=added_mark.file,
        method="faces blurred",
    ).file
    allegation = allegation_for(w)
    proof.link_create(
        allegation=allegation,
        item=by_source,
        actor=w.investigator,
        element_index=1,
        assessment=EvidenceLink.Assessment.STRONG,
        locator="p. 1",
        relevance="The witness saw the attack.",
    )
    return Identifying(
        ev=ev,
        by_source=by_source,
        by_mark=by_mark,
        withheld=[original, added_mark.file, translation, unapproved],
        approved=approved,
        allegation_pk=allegation.pk,
    )


def _body(response: HttpResponseBase) -> bytes:
    return body(response)


def _pages(idf: Identifying) -> Iterator[str]:
    """Every page of the case that could name or serve an evidence file."""
    case = idf.world.case.pk
    yield reverse("dashboard")
    yield reverse("cases:list")
    yield reverse("cases:list") + "?q=FILE-9X"
    yield reverse("accounts:notifications")
    for name in ("detail", "timeline", "activity", "persons", "persons_csv"):
        yield reverse(f"cases:{name}", args=[case])
    for name in ("register", "integrity"):
        yield reverse(f"evidence:{name}", args=[case])
    yield reverse("evidence:register", args=[case]) + "?q=FILE-9X"
    for item in (idf.by_source, idf.by_mark, idf.ev.item):
        for name in ("detail", "edit", "file_add", "custody_event", "transfer"):
            yield reverse(f"evidence:{name}", args=[item.pk])
        yield reverse("proof:item_link", args=[item.pk])
    yield reverse("proof:overview", args=[case])
    for name in ("matrix", "matrix_csv", "link_create", "edit"):
        yield reverse(f"proof:{name}", args=[idf.allegation_pk])
    for file in idf.withheld:
        yield reverse("evidence:download", args=[file.pk])
        yield reverse("evidence:preview", args=[file.pk])


def _leaks(client: Client, idf: Identifying) -> list[str]:
    found = []
    for url in _pages(idf):
        response = client.get(url)
        text = _body(response).decode(errors="replace") + str(dict(response.headers))
        for canary in (FILE_CANARY, UNAPPROVED_CANARY):
            if canary in text:
                found.append(f"{url} ({response.status_code}) gives {canary}")
        if response.status_code == 500:
            found.append(f"{url} fails")
    return found


def _reader(idf: Identifying, name: str, request: pytest.FixtureRequest) -> User:
    if name == "break_glass":
        return request.getfixturevalue("break_glass")
    return getattr(idf.world, name)


@pytest.mark.parametrize("reader", ["analyst", "investigator", "break_glass"])
def test_no_page_gives_an_identifying_file_to_a_reader_without_the_identity(
    client: Client, idf: Identifying, request: pytest.FixtureRequest, reader: str
) -> None:
    client.force_login(_reader(idf, reader, request))
    assert _leaks(client, idf) == []
    for file in idf.withheld:
        assert client.get(reverse("evidence:download", args=[file.pk])).status_code == 404
        assert client.get(reverse("evidence:preview", args=[file.pk])).status_code == 404


def test_the_walk_finds_the_canaries_for_the_holder_of_the_identity(
    client: Client, idf: Identifying
) -> None:
    """The lead who protected the witness holds the identity: the same walk gives them the
    files, so the walk above would see a leak."""
    client.force_login(idf.world.lead)
    leaks = _leaks(client, idf)
    assert any(FILE_CANARY in leak for leak in leaks)
    assert any(UNAPPROVED_CANARY in leak for leak in leaks)


def test_the_holder_of_the_identity_downloads_the_file_and_it_is_audited(
    client: Client, idf: Identifying
) -> None:
    original = idf.withheld[0]
    client.force_login(idf.world.lead)
    page = client.get(reverse("evidence:detail", args=[idf.by_source.pk])).content.decode()
    assert f"statement-{FILE_CANARY}.pdf" in page
    assert WITHHELD not in page
    response = client.get(reverse("evidence:download", args=[original.pk]))
    assert response.status_code == 200
    assert FILE_CANARY.encode() in _body(response)
    assert FILE_CANARY in response["Content-Disposition"]
    assert AuditEvent.objects.filter(
        action="evidence.downloaded", actor=idf.world.lead, target_id=str(original.pk)
    ).exists()


@pytest.mark.parametrize("reader", ["analyst", "investigator", "break_glass"])
def test_a_reader_without_the_identity_sees_withheld_and_the_approved_redacted_version(
    client: Client, idf: Identifying, request: pytest.FixtureRequest, reader: str
) -> None:
    client.force_login(_reader(idf, reader, request))
    page = client.get(reverse("evidence:detail", args=[idf.by_source.pk])).content.decode()
    assert WITHHELD in page
    assert idf.withheld[0].blob.sha256 in page  # the original's hash is not secret
    assert idf.by_source.description in page  # nor is the metadata
    assert reverse("evidence:download", args=[idf.approved.pk]) in page
    for file in idf.withheld:
        assert reverse("evidence:download", args=[file.pk]) not in page
    response = client.get(reverse("evidence:download", args=[idf.approved.pk]))
    assert response.status_code == 200
    assert REDACTED_MARK in _body(response)
    marked = client.get(reverse("evidence:detail", args=[idf.by_mark.pk])).content.decode()
    assert WITHHELD in marked
    assert idf.world.witness.pseudonym in marked  # "identifies", by pseudonym
    assert "No file." not in marked
    integrity = client.get(reverse("evidence:integrity", args=[idf.world.case.pk]))
    assert WITHHELD in integrity.content.decode()


def test_the_activity_of_the_case_does_not_count_the_withheld_files(
    client: Client, idf: Identifying
) -> None:
    """Each file has its audit row ("file added", with its role and hash): a reader without
    the identity does not get the rows of the files withheld from them."""
    url = reverse("cases:activity", args=[idf.world.case.pk])
    withheld = [file.blob.sha256[:12] for file in idf.withheld]
    client.force_login(idf.world.analyst)
    page = client.get(url).content.decode()
    assert not [sha for sha in withheld if sha in page]
    assert idf.approved.blob.sha256[:12] in page
    client.force_login(idf.world.lead)
    page = client.get(url).content.decode()
    assert all(sha in page for sha in withheld)


def test_an_unapproved_redacted_version_is_not_served_until_a_lead_approves_it(
    client: Client, idf: Identifying
) -> None:
    unapproved = idf.withheld[-1]
    url = reverse("evidence:download", args=[unapproved.pk])
    client.force_login(idf.world.analyst)
    assert client.get(url).status_code == 404
    services.redaction_approve(file=unapproved, actor=idf.world.lead)
    response = client.get(url)
    assert response.status_code == 200
    assert UNAPPROVED_CANARY.encode() in _body(response)


def test_the_add_file_form_offers_only_files_the_user_may_name(
    client: Client, idf: Identifying
) -> None:
    client.force_login(idf.world.investigator)
    page = client.get(reverse("evidence:file_add", args=[idf.by_source.pk])).content.decode()
    assert "redacted-statement.pdf" in page
    assert FILE_CANARY not in page
    assert WITHHELD in page


@pytest.mark.parametrize(("uploader", "told"), [("investigator", False), ("lead", True)])
def test_uploading_the_bytes_of_a_withheld_file_does_not_say_where_they_are(
    client: Client, idf: Identifying, uploader: str, told: bool
) -> None:
    """The duplicate warning names the exhibit holding the same bytes: only to those who may
    name that file, or it would confirm what a withheld file contains."""
    w = idf.world
    client.force_login(getattr(w, uploader))
    data = {
        "upload": SimpleUploadedFile("copy.pdf", PDF + f"translation {FILE_CANARY}".encode()),
        "role": EvidenceFile.Role.WORKING_COPY,
        "derived_from": idf.ev.original.pk,
        "method": "copied",
    }
    response = client.post(reverse("evidence:file_add", args=[idf.ev.item.pk]), data, follow=True)
    page = response.content.decode()
    assert "File stored." in page
    assert ("already in this case" in page) is told
    assert (idf.by_source.exhibit in page) is told


# --- Approving a redacted version ----------------------------------------------------------


def _second_lead(world: World) -> User:
    user = UserFactory(username="w_lead2", roles=[Role.CASE_LEAD], clearance=Clearance.SECRET)
    case_services.case_member_add(
        case=world.case, actor=world.lead, user=user, role=CaseMember.Role.LEAD
    )
    return user


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 302),
        ("outsider", 404),
        ("colleague", 404),
        ("analyst", 403),
        ("investigator", 403),
        ("lead_without_identity", 403),
        ("lead", 302),
    ],
)
def test_approving_a_redacted_version_is_for_a_lead_who_holds_the_identities(
    client: Client, idf: Identifying, actor: str, status: int
) -> None:
    w = idf.world
    unapproved = idf.withheld[-1]
    users = {
        "outsider": UserFactory(username="w_outsider"),
        "colleague": w.colleague,
        "analyst": w.analyst,
        "investigator": w.investigator,
        "lead_without_identity": _second_lead(w),
        "lead": w.lead,
    }
    if actor != "anonymous":
        client.force_login(users[actor])
    response = client.post(reverse("evidence:redaction_approve", args=[unapproved.pk]))
    assert response.status_code == status
    unapproved.refresh_from_db()
    approvals = AuditEvent.objects.filter(
        action="evidence.redaction_approved", target_id=str(unapproved.pk)
    )
    if actor == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    if actor == "lead":
        assert response["Location"] == reverse("evidence:detail", args=[idf.by_mark.pk])
        assert unapproved.redaction_approved_by == w.lead
        assert approvals.count() == 1
    else:
        assert unapproved.redaction_approved_at is None
        assert not approvals.exists()


def test_a_lead_without_the_identity_is_refused_by_the_service(idf: Identifying) -> None:
    with pytest.raises(PermissionDenied):
        services.redaction_approve(file=idf.withheld[-1], actor=_second_lead(idf.world))


def test_only_an_unapproved_redacted_version_can_be_approved(idf: Identifying) -> None:
    lead = idf.world.lead
    with pytest.raises(ValidationError, match="Only a redacted version"):
        services.redaction_approve(file=idf.withheld[0], actor=lead)
    with pytest.raises(ValidationError, match="already approved"):
        services.redaction_approve(file=idf.approved, actor=lead)


def test_the_lead_sees_the_approve_button_only_on_an_unapproved_redacted_version(
    client: Client, idf: Identifying
) -> None:
    client.force_login(idf.world.lead)
    page = client.get(reverse("evidence:detail", args=[idf.by_mark.pk])).content.decode()
    assert reverse("evidence:redaction_approve", args=[idf.withheld[-1].pk]) in page
    page = client.get(reverse("evidence:detail", args=[idf.by_source.pk])).content.decode()
    assert reverse("evidence:redaction_approve", args=[idf.approved.pk]) not in page
    assert "Approved redaction" in page
    client.force_login(idf.world.analyst)
    page = client.get(reverse("evidence:detail", args=[idf.by_mark.pk])).content.decode()
    assert "approve-redaction" not in page


# --- Naming the persons an item identifies --------------------------------------------------


def _item_form(world: World, **extra: object) -> dict[str, object]:
    return {
        "kind": EvidenceItem.Kind.PHOTOGRAPH,
        "description": "Photograph of the shelter",
        "source_kind": EvidenceItem.SourceKind.OTHER,
        "classification": str(world.case.classification),
        **extra,
    }


def test_an_item_marked_as_identifying_the_witness_withholds_its_files_from_its_author(
    client: Client, ev: Evidence
) -> None:
    w = ev.world
    client.force_login(w.investigator)
    form = client.get(reverse("evidence:create", args=[w.case.pk])).content.decode()
    assert w.witness.pseudonym in form
    assert "CANARY-WITNESS" not in form
    data = _item_form(w, identifies=[w.witness.pk], upload=SimpleUploadedFile("p.pdf", PDF))
    response = client.post(reverse("evidence:create", args=[w.case.pk]), data)
    assert response.status_code == 302
    item = EvidenceItem.objects.get(description="Photograph of the shelter")
    assert list(item.identifies.all()) == [w.witness]
    changed = AuditEvent.objects.get(action="evidence.identifies_changed", target_id=str(item.pk))
    assert changed.details == {
        "added": [w.witness.pk],
        "removed": [],
        "identifies": [w.witness.pk],
    }
    created = AuditEvent.objects.get(action="evidence.created", target_id=str(item.pk))
    assert (created.details["identifies"], created.details["source_person"]) == (
        [w.witness.pk],
        None,
    )
    original = item.files.get()
    assert client.get(reverse("evidence:download", args=[original.pk])).status_code == 404
    client.force_login(w.lead)
    assert client.get(reverse("evidence:download", args=[original.pk])).status_code == 200


def test_only_a_holder_of_the_identity_may_say_an_item_does_not_identify_the_witness(
    idf: Identifying,
) -> None:
    w = idf.world
    with pytest.raises(ValidationError, match="holds the identity"):
        services.item_update(item=idf.by_mark, actor=w.investigator, identifies=[])
    with pytest.raises(ValidationError, match="holds the identity"):
        services.item_update(
            item=idf.by_source, actor=w.investigator, source_person=None, source_kind="other"
        )
    assert list(idf.by_mark.identifies.all()) == [w.witness]
    services.item_update(item=idf.by_mark, actor=w.lead, identifies=[])
    assert not idf.by_mark.identifies.exists()
    assert AuditEvent.objects.filter(
        action="evidence.identifies_changed", details__removed=[w.witness.pk]
    ).exists()


def test_an_item_identifies_only_persons_of_its_own_case(ev: Evidence) -> None:
    from tests.cases.conftest import open_case

    w = ev.world
    other = open_case(w.lead, title="Another case")
    stranger = case_services.case_person_add(
        case=other, actor=w.lead, role="witness", full_name="Someone Else"
    )
    with pytest.raises(ValidationError):
        services.item_create(
            case=w.case,
            actor=w.investigator,
            kind=EvidenceItem.Kind.DOCUMENT,
            description="A letter",
            identifies=[stranger],
        )
    with pytest.raises(ValidationError):
        services.item_update(item=ev.item, actor=w.investigator, identifies=[stranger])


# --- Classification of an item -------------------------------------------------------------


def test_an_item_classified_above_a_users_clearance_is_not_there_for_them(
    client: Client, ev: Evidence
) -> None:
    w = ev.world
    secret, added = services.item_create(
        case=w.case,
        actor=w.lead,
        upload=hashed_upload(PDF + b"secret", "secret-report.pdf"),
        kind=EvidenceItem.Kind.REPORT,
        description="Intercept summary CANARY-SECRET-ITEM",
        classification=Clearance.SECRET,
    )
    allegation = allegation_for(w)
    link = proof.link_create(
        allegation=allegation,
        item=secret,
        actor=w.lead,
        element_index=0,
        assessment=EvidenceLink.Assessment.STRONG,
        locator="p. 3",
        relevance="The intercept names the unit.",
    )
    assert w.analyst.clearance < Clearance.SECRET
    client.force_login(w.analyst)
    for url in (
        reverse("evidence:detail", args=[secret.pk]),
        reverse("evidence:download", args=[added.file.pk]),
        reverse("proof:item_link", args=[secret.pk]),
        reverse("proof:link_history", args=[link.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        reverse("evidence:register", args=[w.case.pk]),
        reverse("evidence:integrity", args=[w.case.pk]),
        reverse("cases:timeline", args=[w.case.pk]),
        reverse("cases:activity", args=[w.case.pk]),
    ):
        page = client.get(url).content.decode()
        assert secret.exhibit not in page, url
        assert ev.item.exhibit in page, url
    for url in (
        reverse("proof:overview", args=[w.case.pk]),
        reverse("proof:matrix", args=[allegation.pk]),
        reverse("proof:matrix_csv", args=[allegation.pk]),
        reverse("proof:link_create", args=[allegation.pk]),
    ):
        page = _body(client.get(url)).decode()
        assert secret.exhibit not in page, url
        assert "The intercept names the unit." not in page, url
    client.force_login(w.lead)
    assert client.get(reverse("evidence:detail", args=[secret.pk])).status_code == 200


def test_custody_of_a_classified_item_goes_only_to_someone_cleared_for_it(
    client: Client, ev: Evidence
) -> None:
    w = ev.world
    services.item_update(item=ev.item, actor=w.lead, classification=Clearance.CONFIDENTIAL)
    uncleared = UserFactory(
        username="w_inv_restricted", roles=[Role.INVESTIGATOR], clearance=Clearance.RESTRICTED
    )
    case_services.case_member_add(
        case=w.case, actor=w.lead, user=uncleared, role=CaseMember.Role.INVESTIGATOR
    )
    with pytest.raises(ValidationError, match="not cleared for this item"):
        services.transfer_initiate(
            item=ev.item, actor=w.investigator, to_user=uncleared, purpose="Examination"
        )
    client.force_login(w.investigator)
    page = client.get(reverse("evidence:transfer", args=[ev.item.pk])).content.decode()
    assert w.lead.username in page
    assert uncleared.username not in page


def test_an_item_cannot_be_classified_below_its_case_or_above_its_author(ev: Evidence) -> None:
    w = ev.world
    with pytest.raises(ValidationError, match="below its case"):
        services.item_create(
            case=w.case,
            actor=w.lead,
            kind=EvidenceItem.Kind.DOCUMENT,
            description="A letter",
            classification=Clearance.UNCLASSIFIED,
        )
    with pytest.raises(ValidationError, match="above your own clearance"):
        services.item_update(item=ev.item, actor=w.investigator, classification=Clearance.SECRET)
    item, _added = services.item_create(
        case=w.case, actor=w.lead, kind=EvidenceItem.Kind.DOCUMENT, description="A letter"
    )
    assert item.classification == w.case.classification
