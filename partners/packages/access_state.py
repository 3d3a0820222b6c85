"""Who receives a case package, checked against the audit trail.

A package's named recipients (``Package.recipients``), the identities it discloses
(``PackageDisclosure``) and any declassification (``Package.declassified_to``) decide who
downloads it and what it prints. The approval writes them together with its audit row:
``package.approved`` carries ``recipients`` (user ids) and ``disclosed`` (case person ids),
``package.declassified`` carries the level ``to``. Someone with a SQL prompt who adds a
recipient or a disclosure, or lowers the level a package is released at, would send a name to
a reader nobody chose. :func:`package_access_state_verify` replays those rows and names every
package whose current rows differ from its approval, and every package past approval that no
audited approval explains. Approvals audited before these details existed (without the keys)
are not compared for them.

Three reads whatever the number of packages (each streamed): the audit rows, the packages and
their recipients and disclosures.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from audit.models import AuditEvent
from partners.models import Package, PackageDisclosure

PACKAGE_TARGET = "partners.package"
CHUNK = 2000
# Statuses a package reaches only through an approval (a request can be revoked undecided).
APPROVED_STATUSES = frozenset(Package.Status) - {
    Package.Status.REQUESTED,
    Package.Status.REJECTED,
    Package.Status.REVOKED,
}


def _ids(value: Any) -> frozenset[int] | None:
    if isinstance(value, list) and all(isinstance(v, int) for v in value):
        return frozenset(value)
    return None


def package_access_state_verify() -> list[str]:
    """One line per package whose recipients, disclosures or declassification no audited
    approval explains (an empty list when everything matches)."""
    approved: dict[int, tuple[frozenset[int] | None, frozenset[int] | None, int]] = {}
    declassified: dict[int, int] = {}
    events = (
        AuditEvent.objects.filter(
            action__in=("package.approved", "package.declassified"), target_type=PACKAGE_TARGET
        )
        .order_by("id")
        .only("pk", "action", "target_id", "details")
    )
    for event in events.iterator(chunk_size=CHUNK):
        if not event.target_id.isdigit():
            continue
        package = int(event.target_id)
        details = event.details or {}
        if event.action == "package.approved":
            approved[package] = (
                _ids(details.get("recipients")),
                _ids(details.get("disclosed")),
                event.pk,
            )
        elif isinstance(details.get("to"), int):
            declassified[package] = details["to"]

    recipients: dict[int, set[int]] = defaultdict(set)
    through = Package.recipients.through.objects.values_list("package_id", "user_id")
    for package, user in through.iterator(chunk_size=CHUNK):
        recipients[package].add(user)
    disclosures: dict[int, set[int]] = defaultdict(set)
    rows = PackageDisclosure.objects.values_list("package_id", "case_person_id")
    for package, case_person in rows.iterator(chunk_size=CHUNK):
        disclosures[package].add(case_person)

    problems: list[str] = []
    packages = Package.objects.values_list("pk", "status", "declassified_to").order_by("pk")
    for pk, status, declassified_to in packages.iterator(chunk_size=CHUNK):
        label = f"package PKG-{pk:06d}"
        audited = approved.get(pk)
        if audited is None:
            if status in APPROVED_STATUSES:
                problems.append(f"{label} is {status} but no audited approval explains it")
            if recipients.get(pk) or disclosures.get(pk):
                problems.append(f"{label} has recipients or disclosures but was never approved")
            if declassified_to is not None:
                problems.append(f"{label} is declassified but was never approved")
            continue
        audited_recipients, audited_disclosed, row = audited
        current = frozenset(recipients.get(pk, ()))
        if audited_recipients is not None and current != audited_recipients:
            problems.append(
                f"{label}: named recipients {sorted(current)} differ from those approved in "
                f"audit row id={row}: {sorted(audited_recipients)}"
            )
        current = frozenset(disclosures.get(pk, ()))
        if audited_disclosed is not None and current != audited_disclosed:
            problems.append(
                f"{label}: disclosed identities {sorted(current)} differ from those approved in "
                f"audit row id={row}: {sorted(audited_disclosed)}"
            )
        if declassified_to != declassified.get(pk):
            problems.append(
                f"{label}: released at level {declassified_to} but the audit trail says "
                f"{declassified.get(pk)}"
            )
    return problems
