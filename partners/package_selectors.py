"""Reads of case packages for one user.

The unit's staff see the packages of the cases they may see (need-to-know on the case); a
tribunal liaison sees the packages addressed to their organisation, and only while the case is
shared with it at the "package requests" level. Anything else is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from accounts.roles import Role
from cases import permissions as P
from cases.models import Case, CaseMember
from cases.selectors import CaseAccess, case_access
from partners.models import CaseShare, Package
from partners.selectors import is_staff_member, liaison_organisation


def package_shares_for_liaison(user: User) -> QuerySet[CaseShare]:
    """The liaison organisation's shares in force that allow package requests."""
    org = liaison_organisation(user)
    if org is None:
        return CaseShare.objects.none()
    return (
        CaseShare.objects.active()
        .filter(organisation=org, level=CaseShare.Level.PACKAGES)
        .select_related("case", "organisation")
    )


def package_share_get(user: User, share_pk: int) -> CaseShare:
    """A share the liaison may request a package under; 404 for any other share (another
    organisation's, revoked, expired, or metadata only)."""
    share = package_shares_for_liaison(user).filter(pk=share_pk).first()
    if share is None:
        raise Http404
    return share


def packages_visible_to(user: User) -> QuerySet[Package]:
    if not user.is_authenticated:
        return Package.objects.none()
    if is_staff_member(user):
        return Package.objects.filter(case__in=Case.objects.visible_to(user).values("pk"))
    if user.has_role(Role.TRIBUNAL_LIAISON):
        shares = package_shares_for_liaison(user)
        org = liaison_organisation(user)
        return Package.objects.filter(organisation=org, case__in=shares.values("case"))
    return Package.objects.none()


def package_list_for(user: User, *, case: Case | None = None) -> QuerySet[Package]:
    packages = packages_visible_to(user).select_related(
        "case", "organisation", "requested_by", "decided_by"
    )
    if case is not None:
        packages = packages.filter(case=case)
    return packages.order_by("-requested_at")


@dataclass(frozen=True)
class PackageAccess:
    """A package as one user may use it."""

    package: Package
    case_access: CaseAccess | None  # None for a liaison: they never read the case itself
    is_recipient: bool

    @property
    def can_decide(self) -> bool:
        return self.case_access is not None and self.case_access.can(P.CHANGE)

    @property
    def can_disclose(self) -> bool:
        return self.case_access is not None and self.case_access.can(P.GRANT_IDENTITY)

    @property
    def can_download(self) -> bool:
        return self.package.is_downloadable

    @property
    def can_revoke(self) -> bool:
        return self.can_decide and self.package.status in Package.REVOCABLE

    @property
    def can_retry(self) -> bool:
        return self.can_decide and self.package.status == Package.Status.FAILED


def package_access(user: User, pk: int) -> PackageAccess:
    """Loads one package for ``user``: 404 unless it is visible to them."""
    package = (
        packages_visible_to(user)
        .select_related("case", "organisation", "requested_by", "decided_by", "revoked_by")
        .filter(pk=pk)
        .first()
    )
    if package is None:
        raise Http404
    if is_staff_member(user):
        return PackageAccess(
            package=package, case_access=case_access(user, package.case_id), is_recipient=False
        )
    return PackageAccess(package=package, case_access=None, is_recipient=True)


def case_leads(case: Case) -> QuerySet[User]:
    return User.objects.filter(
        case_memberships__case=case, case_memberships__role=CaseMember.Role.LEAD, is_active=True
    )


def liaisons_of(package: Package) -> QuerySet[User]:
    """The recipient organisation's liaisons (who hear about their package)."""
    if package.organisation_id is None:
        return User.objects.none()
    return User.objects.filter(
        partner_membership__organisation_id=package.organisation_id,
        is_active=True,
        groups__name=Role.TRIBUNAL_LIAISON,
    ).distinct()


def protected_persons_of(case: Case) -> QuerySet:
    """The case's protected persons, by pseudonym (the approver picks identities to include)."""
    return case.persons.filter(protected=True).order_by("pseudonym")
