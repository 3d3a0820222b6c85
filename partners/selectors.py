"""Reads of partner data. Staff of the unit see the directory; a liaison sees only what is
shared with their own organisation, and never another partner's business."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from accounts.roles import STAFF_ROLES, Role
from cases.models import Case
from partners.models import Agreement, CaseShare, PartnerMembership, PartnerOrganisation

EXPIRY_WARNING_DAYS = 60


def is_staff_member(user: User) -> bool:
    return user.has_role(*STAFF_ROLES)


def organisations_for_directory(
    *,
    query: str = "",
    kind: str = "",
    country: str = "",
    status: str = "",
    network: int | None = None,
) -> QuerySet[PartnerOrganisation]:
    orgs = PartnerOrganisation.objects.annotate(
        contact_count=Count("contacts", distinct=True)
    ).prefetch_related("networks")
    if query:
        orgs = orgs.filter(
            Q(name__icontains=query)
            | Q(acronym__icontains=query)
            | Q(contacts__name__icontains=query)
        ).distinct()
    if kind:
        orgs = orgs.filter(kind=kind)
    if country:
        orgs = orgs.filter(country=country)
    if status:
        orgs = orgs.filter(status=status)
    if network:
        orgs = orgs.filter(networks=network)
    return orgs.order_by("name")


def organisation_get(user: User, pk: int) -> PartnerOrganisation:
    """A partner for the directory: staff only (a liaison gets a 404 for every partner)."""
    org: PartnerOrganisation | None = (
        PartnerOrganisation.objects.visible_to(user).filter(pk=pk).first()
    )
    if org is None:
        raise Http404
    return org


def shares_of_organisation_visible_to(user: User, org: PartnerOrganisation) -> QuerySet[CaseShare]:
    """The organisation's shares of cases ``user`` may see (need-to-know applies here too)."""
    return (
        CaseShare.objects.visible_to(user)
        .filter(organisation=org)
        .select_related("case", "agreement")
        .order_by("-created_at")
    )


def liaison_organisation(user: User) -> PartnerOrganisation | None:
    if not user.is_authenticated or not user.has_role(Role.TRIBUNAL_LIAISON):
        return None
    membership = PartnerMembership.objects.select_related("organisation").filter(user=user).first()
    return membership.organisation if membership else None


def shares_for_liaison(user: User) -> QuerySet[CaseShare]:
    """The cases shared with the liaison's organisation, in force today."""
    org = liaison_organisation(user)
    if org is None:
        return CaseShare.objects.none()
    return (
        CaseShare.objects.active()
        .filter(organisation=org)
        .select_related("case", "organisation")
        .order_by("case__year", "case__number")
    )


def shared_case_get(user: User, share_pk: int) -> CaseShare:
    share = shares_for_liaison(user).filter(pk=share_pk).first()
    if share is None:
        raise Http404
    return share


def shares_of_case(case: Case) -> QuerySet[CaseShare]:
    return case.shares.select_related("organisation", "agreement", "created_by").order_by(
        "-created_at"
    )


def agreements_expiring_soon(days: int = EXPIRY_WARNING_DAYS) -> QuerySet[Agreement]:
    today = timezone.localdate()
    return (
        Agreement.objects.active_on(today)
        .filter(valid_until__lte=today + timedelta(days=days))
        .select_related("organisation")
        .order_by("valid_until")
    )
