"""Fixity: stored files are re-hashed; a changed file is caught, recorded and announced."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from evidence.models import FixityCheck
from evidence.storage import blob_name
from evidence.tasks import fixity_sweep, verify_item_fixity
from tests.cases.conftest import SHARED_WORLD
from tests.evidence.conftest import Evidence

pytestmark = SHARED_WORLD  # the case world is built once for the module


def _tamper(root: Path, sha256: str) -> None:
    path = root / "files" / blob_name(sha256)
    os.chmod(path, 0o640)
    with path.open("r+b") as handle:
        handle.seek(100)
        handle.write(b"TAMPERED")


def test_verify_fixity_confirms_intact_files(ev: Evidence, capsys) -> None:
    call_command("verify_fixity")
    assert "1 stored files re-hashed" in capsys.readouterr().out
    ev.original.blob.refresh_from_db()
    assert ev.original.blob.last_fixity_ok is True
    assert FixityCheck.objects.get().ok


def test_verify_fixity_catches_a_file_changed_on_disk(
    client: Client, ev: Evidence, evidence_storage: Path
) -> None:
    _tamper(evidence_storage, ev.original.blob.sha256)
    with pytest.raises(CommandError, match="1 of 1 stored files failed"):
        call_command("verify_fixity")
    check = FixityCheck.objects.get()
    assert not check.ok
    assert check.computed_sha256 not in ("", ev.original.blob.sha256)
    assert AuditEvent.objects.filter(
        action="evidence.fixity_failed", case_id=ev.world.case.pk
    ).exists()
    assert ev.world.lead.notifications.filter(title__icontains="integrity check").exists()
    client.force_login(ev.world.lead)
    page = client.get(reverse("evidence:integrity", args=[ev.world.case.pk])).content.decode()
    assert "FAILED" in page
    detail = client.get(reverse("evidence:detail", args=[ev.item.pk])).content.decode()
    assert "INTEGRITY CHECK FAILED" in detail


def test_a_missing_file_fails_fixity_too(ev: Evidence, evidence_storage: Path) -> None:
    path = evidence_storage / "files" / blob_name(ev.original.blob.sha256)
    path.unlink()
    with pytest.raises(CommandError):
        call_command("verify_fixity")
    assert "cannot read" in FixityCheck.objects.get().error


def test_unit_admins_see_failures_across_cases_without_content(
    client: Client, ev: Evidence, evidence_storage: Path
) -> None:
    _tamper(evidence_storage, ev.original.blob.sha256)
    verify_item_fixity.run(ev.item.pk)
    client.force_login(ev.world.unit_admin)
    html = client.get(reverse("evidence:integrity_admin")).content.decode()
    assert ev.item.exhibit in html
    assert ev.item.description not in html


def test_verify_now_queues_a_check_of_the_item(
    client: Client, ev: Evidence, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    queued: list[int] = []
    monkeypatch.setattr(verify_item_fixity, "delay", queued.append)
    client.force_login(ev.world.analyst)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("evidence:verify", args=[ev.item.pk]), follow=True)
    assert "has been queued" in response.content.decode()
    assert queued == [ev.item.pk]
    assert verify_item_fixity.run(ev.item.pk) == 1
    ev.original.blob.refresh_from_db()
    assert ev.original.blob.last_fixity_ok is True


def test_the_nightly_sweep_queues_every_file_in_batches(ev: Evidence, monkeypatch) -> None:
    from evidence import tasks
    from evidence.services import fixity

    batches: list[list[int]] = []
    monkeypatch.setattr(tasks.fixity_batch, "delay", batches.append)
    monkeypatch.setattr(fixity, "SWEEP_BATCH", 1)
    assert fixity_sweep.run() == 1
    assert batches == [[ev.original.blob.pk]]
    assert tasks.fixity_batch.run(batches[0]) == 1
    assert fixity_sweep.run() == 0  # checked now: not again tonight


def test_reading_the_integrity_page_is_an_audited_case_read(client: Client, ev: Evidence) -> None:
    client.force_login(ev.world.analyst)
    client.get(reverse("evidence:integrity", args=[ev.world.case.pk]))
    read = AuditEvent.objects.filter(action="case.viewed", actor=ev.world.analyst).get()
    assert read.details == {"page": "evidence integrity"}
