"""Who may read an evidence item's files, checked against the audit trail.

Besides the case's access state (``cases.access_state``), four kinds of rows decide who reads
an item's files (``evidence.access``): its ``source_person``, the persons it ``identifies``
(the table ``evidence_evidenceitem_identifies``), its ``classification`` and the approval of
a redacted copy (``EvidenceFile.redaction_approved_at`` and ``_by``). Someone with a SQL
prompt who nulls the source, deletes an ``identifies`` row, lowers the classification or
approves a copy opens files to readers who must not get them. The services change these only
together with an audit row that carries the new value:

- ``evidence.created``: ``classification``, ``source_person`` (a case person id or null) and
  ``identifies`` (case person ids);
- ``evidence.updated``: ``fields``, and the new ``classification`` / ``source_person`` when
  they are among them;
- ``evidence.identifies_changed``: ``identifies``, the whole new set;
- ``evidence.redaction_approved``: targets the file (``file``), approved by its actor, of the
  bytes ``sha256``.

:func:`evidence_access_state_verify` replays these rows and names every item whose current
value differs from its last audited value, and every approved file no audited approval
explains. Audit rows written before these details existed (and those of ``seed_scale``) do
not carry them: a missing key means the value was *not audited*, and an item whose last
audited row does not say a value is *not checked* for it (its creation or change is still in
the trail; only the comparison is skipped). Approvals are always checked: their rows always
targeted the file.

Four reads whatever the size (each streamed in chunks): the audit rows, the items, the
``identifies`` rows and the approved files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from audit.models import AuditEvent
from evidence.models import EvidenceFile, EvidenceItem

ACTIONS = (
    "evidence.created",
    "evidence.updated",
    "evidence.identifies_changed",
    "evidence.redaction_approved",
)
CHUNK = 2000
ITEM_TARGET = "evidence.evidenceitem"
FILE_TARGET = "evidence.evidencefile"


@dataclass
class _History:
    """The last audited value of each item's access state, with the audit row saying it."""

    classification: dict[int, tuple[int, int]] = field(default_factory=dict)
    source_person: dict[int, tuple[int | None, int]] = field(default_factory=dict)
    identifies: dict[int, tuple[frozenset[int], int]] = field(default_factory=dict)
    # file -> (approver, sha256 of the approved bytes, audit row)
    approvals: dict[int, tuple[int | None, str, int]] = field(default_factory=dict)


def _target_of(event: AuditEvent, target_type: str, key: str) -> int | None:
    details = event.details or {}
    if isinstance(details.get(key), int):
        return details[key]
    if event.target_type == target_type and event.target_id.isdigit():
        return int(event.target_id)
    return None


def _is_id_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, int) for v in value)


def _record(event: AuditEvent, item: int, names: list[str], history: _History) -> None:
    """What ``event`` says about ``names`` of ``item``; a name it changed without saying the
    new value makes that value unknown (not checked) from then on."""
    details = event.details or {}
    if "classification" in names:
        if isinstance(details.get("classification"), int):
            history.classification[item] = (details["classification"], event.pk)
        else:
            history.classification.pop(item, None)
    if "source_person" in names:
        value = details.get("source_person", "")
        if value is None or isinstance(value, int):
            history.source_person[item] = (value, event.pk)
        else:
            history.source_person.pop(item, None)
    if "identifies" in names:
        if _is_id_list(details.get("identifies")):
            history.identifies[item] = (frozenset(details["identifies"]), event.pk)
        else:
            history.identifies.pop(item, None)


def _replay() -> _History:
    history = _History()
    events = AuditEvent.objects.filter(action__in=ACTIONS).order_by("id")
    for event in events.iterator(chunk_size=CHUNK):
        details: dict[str, Any] = event.details or {}
        if event.action == "evidence.redaction_approved":
            file = _target_of(event, FILE_TARGET, "file")
            if file is not None:
                history.approvals[file] = (event.actor_id, details.get("sha256", ""), event.pk)
            continue
        item = _target_of(event, ITEM_TARGET, "item")
        if item is None:
            continue
        if event.action == "evidence.created":
            _record(event, item, ["classification", "source_person", "identifies"], history)
        elif event.action == "evidence.updated":
            fields = details.get("fields")
            _record(event, item, list(fields) if isinstance(fields, list) else [], history)
        elif event.action == "evidence.identifies_changed":
            _record(event, item, ["identifies"], history)
    return history


def _ids(values: frozenset[int] | set[int]) -> str:
    return "[" + ", ".join(str(v) for v in sorted(values)) + "]"


def _compare_items(history: _History, problems: list[str]) -> set[int]:
    """Classification and source person of every item; returns the ids of the items."""
    items = EvidenceItem.objects.order_by().values_list("pk", "classification", "source_person_id")
    seen: set[int] = set()
    for pk, classification, source in items.iterator(chunk_size=CHUNK):
        seen.add(pk)
        audited = history.classification.get(pk)
        if audited is not None and audited[0] != classification:
            problems.append(
                f"EvidenceItem id={pk} is classified {classification}, but audit row "
                f"id={audited[1]} classified it {audited[0]} and no audited change followed"
            )
        audited_source = history.source_person.get(pk)
        if audited_source is not None and audited_source[0] != source:
            problems.append(
                f"EvidenceItem id={pk} has the source person id={source}, but audit row "
                f"id={audited_source[1]} gave it id={audited_source[0]} and no audited change "
                "followed"
            )
    return seen


def _compare_identifies(history: _History, items: set[int], problems: list[str]) -> None:
    rows = EvidenceItem.identifies.through.objects.order_by().values_list(
        "evidenceitem_id", "caseperson_id"
    )
    current: dict[int, set[int]] = {}
    for item, case_person in rows.iterator(chunk_size=CHUNK):
        if item in history.identifies:  # the others were never audited with their set
            current.setdefault(item, set()).add(case_person)
    for item, (audited, event) in sorted(history.identifies.items()):
        if item not in items:
            continue  # a deleted item is named by verify_custody
        now = current.get(item, set())
        if now != audited:
            problems.append(
                f"EvidenceItem id={item} identifies the case persons {_ids(now)}, but audit row "
                f"id={event} recorded {_ids(audited)} and no audited change followed "
                f"(missing: {_ids(audited - now)}, not audited: {_ids(now - audited)})"
            )


def _compare_approvals(history: _History, problems: list[str]) -> None:
    files = (
        EvidenceFile.objects.filter(redaction_approved_at__isnull=False)
        .order_by()
        .values_list("pk", "item_id", "redaction_approved_by_id", "blob__sha256")
    )
    approved: set[int] = set()
    for pk, item, approver, sha256 in files.iterator(chunk_size=CHUNK):
        approved.add(pk)
        audited = history.approvals.get(pk)
        if audited is None:
            problems.append(
                f"EvidenceFile id={pk} (of item id={item}) is an approved redacted version, "
                "but no audited approval (evidence.redaction_approved) explains it"
            )
            continue
        audited_by, audited_sha, event = audited
        if audited_by != approver:
            problems.append(
                f"EvidenceFile id={pk} says user id={approver} approved it, but audit row "
                f"id={event} says user id={audited_by}"
            )
        if audited_sha and audited_sha != sha256:
            problems.append(
                f"EvidenceFile id={pk} is approved, but its bytes are not the ones audit row "
                f"id={event} approved (SHA-256 {audited_sha})"
            )
    for pk, (_, _, event) in sorted(history.approvals.items()):
        if pk not in approved:
            problems.append(
                f"EvidenceFile id={pk} is not approved, but audit row id={event} approved it"
            )


def evidence_access_state_verify() -> list[str]:
    """Replays the audited classification, source person and ``identifies`` of every item and
    the approvals of redacted versions; returns one line for every item whose current value
    differs from its last audited one and every approval the trail does not explain (an empty
    list when everything matches). Values an older audit row does not carry are not checked
    (see the module's docstring). ``cases.access_state.access_state_verify`` calls it."""
    problems: list[str] = []
    history = _replay()
    items = _compare_items(history, problems)
    _compare_identifies(history, items, problems)
    _compare_approvals(history, problems)
    return problems
