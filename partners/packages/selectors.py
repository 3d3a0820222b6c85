"""Reads of case packages for one user.

The unit's staff see the packages of the cases they may see (need-to-know on the case); a
tribunal liaison sees the packages addressed to their organisation, and only while the case is
shared with it at the "package requests" level. Anything else is a 404.

Seeing a package is not downloading it: ``package_download_right`` is the one rule for that
(the view, the templates and the service all ask it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Max, QuerySet
from django.http import Http404

from accounts.models import User
from accounts.roles import Role
from cases import permissions as P
from cases.models import Case, CaseMember, CasePerson
from cases.selectors import (
    CaseAccess,
    case_permissions,
    identity_grants,
    load_with_case_access,
    protected_anywhere,
)
from evidence.models import EvidenceItem
from partners.models import CaseShare, Package
from partners.models.sharing import liaison_organisation_ids
from partners.selectors import is_staff_member


def package_shares_for_liaison(user: User) -> QuerySet[CaseShare]:
    """The liaison organisation's shares in force that allow package requests."""
    return (
        CaseShare.objects.for_packages()
        .filter(organisation_id__in=liaison_organisation_ids(user))
        .select_related("case", "organisation")
    )


def package_share_get(user: User, share_pk: int) -> CaseShare:
    """A share the liaison may request a package under; 404 for any other share (another
    organisation's, revoked, expired, or metadata only)."""
    share = package_shares_for_liaison(user).filter(pk=share_pk).first()
    if share is None:
        raise Http404
    return share


def package_list_for(user: User, *, case: Case | None = None) -> QuerySet[Package]:
    packages = Package.objects.visible_to(user).select_related(
        "case", "organisation", "requested_by", "decided_by"
    )
    if case is not None:
        packages = packages.filter(case=case)
    return packages.order_by("-requested_at")


class Download(StrEnum):
    """How a user may download a package's PDF."""

    # A named recipient: the delivery itself (counted, marks the package downloaded, tells
    # the approver).
    RECIPIENT = "recipient"
    # A member of the case team holding every identity the package discloses: an audited
    # internal copy that changes nothing about the delivery.
    INTERNAL_COPY = "internal_copy"


def named_recipients_of(package: Package) -> QuerySet[User]:
    """The liaisons the approver named who may still receive the package: active, still
    liaisons of its organisation, and the case still shared with it for packages. A liaison
    of the organisation who was not named, or who joined it later, is not one of them."""
    if package.organisation_id is None:
        return User.objects.none()
    share_in_force = (
        CaseShare.objects.for_packages()
        .filter(case_id=package.case_id, organisation_id=package.organisation_id)
        .exists()
    )
    if not share_in_force:
        return User.objects.none()
    return package.recipients.filter(
        is_active=True,
        groups__name=Role.TRIBUNAL_LIAISON,
        partner_membership__organisation_id=package.organisation_id,
    ).distinct()


def disclosed_identities(package: Package) -> frozenset[int]:
    """The protected persons (``CasePerson`` ids) whose identity the package discloses."""
    return frozenset(package.disclosures.values_list("case_person_id", flat=True))


@dataclass(frozen=True)
class Exposure:
    """What a rendered package reveals *today*: the protected persons whose identity it
    holds (those it discloses, those it named before they were protected, and those
    identified by items whose file names it printed) and the highest classification of its
    items now. Protection or a classification raised after rendering does not take the name
    or the item out of the PDF: the download rule reads this, not the approval alone."""

    identities: frozenset[int]
    level: int
    disclosed: frozenset[int]
    approved_level: int

    @property
    def outdated(self) -> bool:
        """Does the PDF hold more than the approval released (a person protected or an item
        marked identifying or classified higher since)?"""
        return not self.identities <= self.disclosed or self.level > self.approved_level


def package_exposure(package: Package) -> Exposure:
    from evidence.access import identities_of_items
    from partners.packages.pdf.content import scoped_items

    disclosed = disclosed_identities(package)
    identities = set(disclosed)
    if package.printed_persons:
        identities |= set(
            CasePerson.objects.filter(pk__in=package.printed_persons)
            .annotate(anywhere=protected_anywhere())
            .filter(anywhere=True)
            .values_list("pk", flat=True)
        )
    if package.printed_file_items:
        for persons in identities_of_items(package.printed_file_items).values():
            identities |= persons
    highest = scoped_items(package).aggregate(level=Max("classification"))["level"]
    return Exposure(
        identities=frozenset(identities),
        level=max(package.case.classification, highest or 0, package.content_classification),
        disclosed=disclosed,
        approved_level=package.content_classification,
    )


def _team_access(user: User, case: Case) -> CaseAccess | None:
    """``user``'s access to ``case`` (their permissions, by the rule of
    ``Case.objects.visible_to`` and ``case_permissions``, and their team role), or ``None``
    when they may not see it."""
    perms = case_permissions(user, case)
    if P.VIEW not in perms:
        return None
    role = CaseMember.objects.filter(case=case, user=user).values_list("role", flat=True).first()
    return CaseAccess(case=case, perms=perms, role=role)


def package_download_right(
    user: User,
    package: Package,
    exposure: Exposure | None = None,
    case_access: CaseAccess | None = None,
) -> Download | None:
    """The one rule for who may download a package's PDF, and how.

    * A named recipient (``named_recipients_of``) cleared for the level the package is
      released at, while the PDF holds nothing the approval did not release (no person
      protected, no item marked identifying or classified higher since: ``package_exposure``):
      the delivery.
    * A member of the case's team (never a break-glass reader) who may see the case, is
      cleared for everything the package holds (before any declassification: an internal
      copy is not a release, and at the items' level of today) and holds the identity of
      every protected person the PDF reveals today (``package_exposure``): an internal copy.
    * Nobody else: not a team member without those identities, not a break-glass unit admin,
      not a liaison of the organisation who was not named or was invited later.

    ``exposure`` and ``case_access`` (the user's access to the package's case), when the
    caller has read them already, spare reading them again.
    """
    if not user.is_authenticated or not user.is_active:
        return None
    if user.has_role(Role.TRIBUNAL_LIAISON):
        if (
            named_recipients_of(package).filter(pk=user.pk).exists()
            and user.clearance >= package.effective_classification
            and not (exposure or package_exposure(package)).outdated
        ):
            return Download.RECIPIENT
        return None
    if not is_staff_member(user):
        return None
    access = case_access or _team_access(user, package.case)
    if access is None or access.role is None:
        return None  # break-glass reads the case; it never takes a copy of its package
    if not access.can(P.VIEW):
        return None
    exposure = exposure or package_exposure(package)
    if user.clearance < exposure.level:
        return None
    if not exposure.identities <= identity_grants(user, package.case):
        return None
    return Download.INTERNAL_COPY


def package_content_classification(package: Package) -> int:
    """The classification of what the package holds: the case's, or that of an included
    evidence item classified above it."""
    items = (
        EvidenceItem.objects.filter(case_id=package.case_id)
        if package.all_evidence
        else package.evidence_items.all()
    )
    highest = items.aggregate(level=Max("classification"))["level"]
    return max(package.case.classification, highest or 0)


@dataclass(frozen=True)
class PackageAccess:
    """A package as one user may use it."""

    package: Package
    case_access: CaseAccess | None  # None for a liaison: they never read the case itself
    is_recipient: bool
    download: Download | None = None
    # For the case team: the PDF holds more than its approval released (see Exposure).
    outdated: bool = False

    @property
    def can_decide(self) -> bool:
        return self.case_access is not None and self.case_access.can(P.CHANGE)

    @property
    def can_disclose(self) -> bool:
        return self.case_access is not None and self.case_access.can(P.GRANT_IDENTITY)

    @property
    def can_download(self) -> bool:
        return self.download is not None and self.package.is_downloadable

    @property
    def downloads_internal_copy(self) -> bool:
        return self.download == Download.INTERNAL_COPY

    @property
    def can_revoke(self) -> bool:
        return self.can_decide and self.package.status in Package.REVOCABLE

    @property
    def can_retry(self) -> bool:
        return self.can_decide and self.package.status == Package.Status.FAILED


PACKAGE_RELATED = ("case", "organisation", "requested_by", "decided_by", "revoked_by")


def package_load(user: User, pk: int) -> tuple[Package, CaseAccess | None]:
    """One package for ``user`` with their access to its case (``None`` for a liaison, who
    never reads the case itself): 404 unless ``Package.objects.visible_to(user)`` holds it.

    Two queries for staff (``cases.selectors.load_with_case_access``: the package with its
    case, the user's team role and break-glass access, then their permissions on the case,
    the rule of ``Case.objects.visible_to``). One for a liaison: the package, through
    ``visible_to``."""
    if user.is_authenticated and is_staff_member(user):
        return load_with_case_access(
            user, Package.objects.select_related(*PACKAGE_RELATED), pk, case="case", perm=P.VIEW
        )
    package = (
        Package.objects.visible_to(user).select_related(*PACKAGE_RELATED).filter(pk=pk).first()
    )
    if package is None:
        raise Http404
    return package, None


def package_access(user: User, pk: int) -> PackageAccess:
    """Loads one package for ``user`` (``package_load``: 404 unless it is visible to them)
    with what they may do with it."""
    package, team_access = package_load(user, pk)
    # Read once for the download right and the team's warning.
    exposure = package_exposure(package) if package.printed_persons is not None else None
    download = package_download_right(user, package, exposure, team_access)
    if team_access is not None:
        return PackageAccess(
            package=package,
            case_access=team_access,
            is_recipient=False,
            download=download,
            outdated=exposure is not None and exposure.outdated,
        )
    return PackageAccess(
        package=package,
        case_access=None,
        is_recipient=download == Download.RECIPIENT,
        download=download,
    )


def case_leads(case: Case) -> QuerySet[User]:
    return User.objects.filter(
        case_memberships__case=case, case_memberships__role=CaseMember.Role.LEAD, is_active=True
    )


def liaisons_of(package: Package) -> QuerySet[User]:
    """The recipient organisation's active liaisons: those the approver may name."""
    if package.organisation_id is None:
        return User.objects.none()
    return (
        User.objects.filter(
            partner_membership__organisation_id=package.organisation_id,
            is_active=True,
            groups__name=Role.TRIBUNAL_LIAISON,
        )
        .distinct()
        .order_by("full_name", "username")
    )


def protected_persons_of(case: Case) -> QuerySet[CasePerson]:
    """The case's protected persons, by pseudonym."""
    return case.persons.filter(protected=True).order_by("pseudonym")


def disclosable_persons(user: User, case: Case) -> QuerySet[CasePerson]:
    """The protected persons whose identity ``user`` may disclose in a package: those whose
    identity they hold themselves (four eyes: nobody discloses a name they were not given)."""
    return protected_persons_of(case).filter(pk__in=identity_grants(user, case))
