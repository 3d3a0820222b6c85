"""Reads of case data, always through what the asking user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, cast

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role as UserRole
from audit.models import AuditEvent
from cases import permissions as P
from cases.models import (
    BreakGlassAccess,
    Case,
    CaseMember,
    CaseNote,
    CasePerson,
    CasePersonUserObjectPermission,
    CaseUserObjectPermission,
    Crime,
    IdentityGrant,
    Incident,
    Person,
    StatusChange,
)
from cases.search import case_search

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


M = TypeVar("M", bound=Model)


class _UserOnCase(TypedDict):
    user_break_glass: bool
    user_role: str | None


def cases_visible_to(user: User) -> QuerySet[Case]:
    return Case.objects.visible_to(user)


def case_permissions(user: User, case: Case, *, break_glass: bool | None = None) -> frozenset[str]:
    """The user's permissions on ``case`` (one query, two without ``break_glass``).

    Read from guardian's per-case table (not through ``user.has_perm``), so that no superuser
    flag or global permission grants anything; nothing for a user not cleared for the case's
    classification. A live break-glass access gives read access only: ``break_glass`` says
    whether the user holds one (as annotated by ``user_on_case``), or ``None`` to look it up
    when it matters."""
    if not user.is_authenticated or not user.is_active or user.clearance < case.classification:
        return frozenset()
    perms = set(
        CaseUserObjectPermission.objects.filter(user=user, content_object_id=case.pk).values_list(
            "permission__codename", flat=True
        )
    )
    if P.VIEW not in perms:
        if break_glass is None:
            break_glass = BreakGlassAccess.objects.filter(
                case=case, user=user, expires_at__gt=timezone.now()
            ).exists()
        if break_glass:
            perms.add(P.VIEW)
    return frozenset(perms & P.ALL_CASE_PERMISSIONS)


def user_on_case(user: User, case_path: str = "") -> dict[str, Exists | Subquery]:
    """Annotations for a query of cases (or of rows whose case is at ``case_path``, e.g.
    ``"item__case"``): whether ``user`` holds a live break-glass access to the case
    (``user_break_glass``) and their team role (``user_role``, ``None`` off the team). With
    them, loading an object and the user's permissions on its case costs two queries."""
    case_pk = OuterRef(f"{case_path}__pk" if case_path else "pk")
    return {
        "user_break_glass": Exists(
            BreakGlassAccess.objects.filter(case=case_pk, user=user, expires_at__gt=timezone.now())
        ),
        "user_role": Subquery(
            CaseMember.objects.filter(case=case_pk, user=user).values("role")[:1]
        ),
    }


def _case_with_access(user: User, pk: int) -> WithAnnotations[Case, _UserOnCase] | None:
    """One case with the user's break-glass access and team role annotated (``user_on_case``)."""
    case = Case.objects.filter(pk=pk).annotate(**user_on_case(user)).first()
    return cast("WithAnnotations[Case, _UserOnCase] | None", case)


@dataclass(frozen=True)
class CaseAccess:
    """A case as one user may use it: the case, their permissions and their team role."""

    case: Case
    perms: frozenset[str]
    role: str | None

    def can(self, perm: str) -> bool:
        return perm in self.perms

    @property
    def content_perms(self) -> frozenset[str]:
        """The permissions that show the buttons changing the case's content: none of those
        while the case is closed or archived (``cases.frozen``). Custody, sharing and the
        team keep to ``perms``."""
        if self.case.is_frozen:
            return self.perms - {P.CONTRIBUTE, P.CHANGE}
        return self.perms

    @property
    def via_break_glass(self) -> bool:
        return self.role is None and P.VIEW in self.perms


def case_access(user: User, pk: int, perm: str = P.VIEW) -> CaseAccess:
    """Loads a case for ``user``: 404 unless they may see it, 403 if they may see it but
    not do ``perm``. Two queries: the case with the user's break-glass access and team role,
    then their permissions on it (the rule of ``case_permissions``, which is the rule of
    ``Case.objects.visible_to`` for reading)."""
    if not user.is_authenticated or not user.is_active:
        raise Http404
    case = _case_with_access(user, pk)
    if case is None:
        raise Http404
    perms = case_permissions(user, case, break_glass=case.user_break_glass)
    if P.VIEW not in perms:
        raise Http404
    if perm not in perms:
        raise PermissionDenied
    return CaseAccess(case=case, perms=perms, role=case.user_role)


def load_with_case_access(
    user: User, rows: QuerySet[M], pk: int, *, case: str, perm: str
) -> tuple[M, CaseAccess]:
    """The row ``pk`` of ``rows`` for ``user``, with the access to its case (at the
    ``select_related`` path ``case``), in two queries: the row with its case and the user's
    team role and break-glass access (``user_on_case``), then their permissions on the case
    (``case_permissions``). 404 unless they may
    read the case (the rule of ``Case.objects.visible_to``) and ``rows`` holds the row, 403
    without ``perm``."""
    if not user.is_authenticated:
        raise Http404
    row = rows.filter(pk=pk).select_related(case).annotate(**user_on_case(user, case)).first()
    if row is None:
        raise Http404
    loaded: Case = attrgetter(case.replace("__", "."))(row)
    perms = case_permissions(user, loaded, break_glass=getattr(row, "user_break_glass", None))
    if P.VIEW not in perms:
        raise Http404
    if perm not in perms:
        raise PermissionDenied
    return row, CaseAccess(case=loaded, perms=perms, role=getattr(row, "user_role", None))


def team_candidates(case: Case) -> QuerySet[User]:
    """Who a lead may add to the team of ``case``: active users of a case role (lead,
    investigator, analyst) cleared for its classification and not on the team yet."""
    return (
        User.objects.filter(
            is_active=True,
            clearance__gte=case.classification,
            groups__name__in=[UserRole.CASE_LEAD, UserRole.INVESTIGATOR, UserRole.ANALYST],
        )
        .exclude(case_memberships__case=case)
        .distinct()
        .order_by("username")
    )


def case_team_access(user: User, pk: int) -> tuple[Case, CaseAccess | None]:
    """A case whose team ``user`` may manage: its lead, or a unit admin (who manages teams
    without reading case content). Returns the case and, when the user reads its content,
    their access to it (``None`` otherwise)."""
    case = _case_with_access(user, pk) if user.is_authenticated else None
    if case is None:
        raise Http404
    perms = case_permissions(user, case, break_glass=case.user_break_glass)
    access = CaseAccess(case=case, perms=perms, role=case.user_role) if P.VIEW in perms else None
    if P.MANAGE_TEAM in perms:
        if access is None:
            raise Http404
        return case, access
    if user.has_role(UserRole.UNIT_ADMIN):
        return case, access
    if access is not None:
        raise PermissionDenied
    raise Http404


def case_list(
    user: User,
    *,
    status: str = "",
    country: str = "",
    crime_category: str = "",
    classification: int | None = None,
    period_from: date | None = None,
    period_until: date | None = None,
    query: str = "",
    order: str = "-opened",
) -> QuerySet[Case]:
    """The case list of ``user``, filtered and sorted; a constant number of queries."""
    cases = cases_visible_to(user)
    if status:
        cases = cases.filter(status=status)
    if country:
        cases = cases.filter(countries__contains=country)
    if crime_category:
        # A flag on the case (kept by cases.services), in the covering index: counting the
        # matches among 20,000 visible cases reads no crime link (docs/benchmarks.md).
        cases = cases.filter(**{Case.crime_category_flag(crime_category): True})
    if classification is not None:
        cases = cases.filter(classification=classification)
    if period_from:
        cases = cases.filter(Q(period_end__gte=period_from) | Q(period_end__isnull=True))
    if period_until:
        cases = cases.filter(Q(period_start__lte=period_until) | Q(period_start__isnull=True))
    if query:
        cases = case_search(cases, query)
    orders = {
        "-opened": ("-created_at", "-id"),
        "opened": ("created_at", "id"),
        "reference": ("year", "number"),
        "-reference": ("-year", "-number"),
        "title": ("title", "id"),
        "status": ("status", "-id"),
        "priority": ("priority", "-id"),
    }
    # The counts are correlated subqueries, not joins with GROUP BY: the database computes
    # them for the 25 rows of the page only, and the paginator's COUNT leaves them out.
    return (
        cases.defer("search_document")
        .annotate(
            incident_count=_count_of(Incident.objects.filter(case=OuterRef("pk"))),
            person_count=_count_of(CasePerson.objects.filter(case=OuterRef("pk"))),
        )
        .order_by(*orders.get(order, orders["-opened"]))
    )


def _count_of(rows: QuerySet[Any]) -> Subquery:
    """``(SELECT COUNT(*) FROM ... WHERE ...)`` for an annotation (0 when there are none)."""
    return Subquery(
        rows.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n"),
        output_field=IntegerField(),
    )


# Paginator[Any] would fail at run time: Django's Paginator is not subscriptable.
class IdsFirstPaginator(Paginator):  # type: ignore[type-arg]
    """Pages a long, sorted queryset by primary key first, then loads one page of rows.

    The database sorts only ``(id, sort key)`` pairs, which it can read from an index, and
    builds whole rows (with their annotations) for the page alone: for a user on 20,000 cases
    that is 25 rows read instead of 20,000 (see docs/benchmarks.md). One more query per page.
    """

    def _get_page(self, object_list: Any, number: int, paginator: Paginator[Any]) -> Page[Any]:
        ids = list(object_list.values_list("pk", flat=True))
        queryset = cast("QuerySet[Any]", self.object_list)
        rows = {row.pk: row for row in queryset.filter(pk__in=ids)}
        # Django's hook for building a page, which the stubs leave out.
        page: Page[Any] = super()._get_page(  # type: ignore[misc]
            [rows[pk] for pk in ids if pk in rows], number, paginator
        )
        return page


def crime_categories_for(case: Case) -> set[str]:
    """The categories of the crimes alleged on ``case`` or any of its incidents."""
    on_case = Crime.objects.filter(cases=case).order_by().values_list("category", flat=True)
    on_incidents = Crime.objects.filter(incidents__case=case).order_by()
    return set(on_case.union(on_incidents.values_list("category", flat=True)))


def identity_grants(user: User, case: Case) -> frozenset[int]:
    """Ids of the case's protected persons whose identity ``user`` has been granted."""
    if not user.is_authenticated:
        return frozenset()
    return frozenset(
        CasePersonUserObjectPermission.objects.filter(
            user=user,
            permission__codename=P.VIEW_IDENTITY,
            content_object__case=case,
        ).values_list("content_object_id", flat=True)
    )


def identity_grants_of(case_person: CasePerson) -> QuerySet[IdentityGrant]:
    """The live grants of a protected person's identity in one case: who holds it, who
    decided and when."""
    return (
        IdentityGrant.objects.filter(case_person=case_person, revoked_at__isnull=True)
        .select_related("user", "granted_by")
        .order_by("user__username")
    )


@dataclass(frozen=True)
class PersonRow:
    """A person as one user may see them in one case.

    ``person`` (the registry row, with the real name) is ``None`` unless the identity is
    visible: templates cannot show what they are not given.
    """

    case_person: CasePerson
    person: Person | None
    label: str
    # Protected here or in any other case (protection follows the person).
    protected_anywhere: bool = False

    @property
    def identity_visible(self) -> bool:
        return self.person is not None

    @property
    def protected(self) -> bool:
        return self.case_person.protected or self.protected_anywhere


def protected_anywhere() -> Exists:
    """An annotation for case persons: their registry person is protected in some case (the
    rule ``person_rows`` applies, for the readers that build their own rows)."""
    return Exists(CasePerson.objects.filter(person_id=OuterRef("person_id"), protected=True))


def person_rows(user: User, case: Case, *, pk: int | None = None) -> list[PersonRow]:
    """The case's persons as ``user`` may see them. A person protected in any case counts as
    protected here even if this link's own flag says otherwise (a flag lifted behind the
    services' back opens nothing): without the grant, the label is the pseudonym or, lacking
    one, "Withheld (protected person)"."""
    granted = identity_grants(user, case)
    links = (
        case.persons.select_related("person")
        .prefetch_related("person__names", "measures")
        .order_by("role", "id")
    )
    if pk is not None:
        links = links.filter(pk=pk)
    rows = list(links)
    protected = set(
        CasePerson.objects.filter(
            person_id__in={cp.person_id for cp in rows}, protected=True
        ).values_list("person_id", flat=True)
    )
    result = []
    for cp in rows:
        is_protected = cp.protected or cp.person_id in protected
        visible = not is_protected or cp.pk in granted
        result.append(
            PersonRow(
                case_person=cp,
                person=cp.person if visible else None,
                label=cp.person.full_name
                if visible
                else cp.pseudonym or _("Withheld (protected person)"),
                protected_anywhere=is_protected,
            )
        )
    return result


def person_row(user: User, case: Case, pk: int) -> PersonRow:
    rows = person_rows(user, case, pk=pk)
    if not rows:
        raise Http404
    return rows[0]


def persons_linkable_by(user: User, case: Case, query: str) -> list[tuple[Person, str]]:
    """Registry persons ``user`` may link to ``case``: those they know by name
    (``Person.objects.visible_to``: from a case they can see, and a person protected in any
    case only with their identity), matching ``query``, not yet in ``case``."""
    if len(query.strip()) < 2:
        return []
    people = (
        Person.objects.visible_to(user)
        .filter(Q(full_name__icontains=query) | Q(names__name__icontains=query))
        .exclude(case_roles__case=case)
        .distinct()
        .order_by("full_name")[:20]
    )
    return [(p, p.full_name) for p in people]


def member_get(case: Case, pk: int) -> CaseMember:
    """A member of ``case``'s team; 404 for any other id."""
    member = case.members.select_related("user").filter(pk=pk).first()
    if member is None:
        raise Http404
    return member


def note_get(case: Case, pk: int) -> CaseNote:
    """A note of ``case``; 404 for any other id."""
    note = case.notes.filter(pk=pk).first()
    if note is None:
        raise Http404
    return note


def team(case: Case) -> QuerySet[CaseMember]:
    return case.members.select_related("user", "added_by").order_by("role", "user__username")


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime | date
    kind: str
    title: str
    detail: str = ""
    url: str = ""


def timeline(case: Case, user: User) -> list[TimelineEntry]:
    """Incidents, status changes and what other apps provide (custody events of the evidence
    ``user`` may see) in one chronology.

    Persons do not appear here, so nothing in it can name a protected person."""
    from django.urls import reverse

    entries: list[TimelineEntry] = []
    for incident in case.incidents.all():
        entries.append(
            TimelineEntry(
                when=incident.date_start,
                kind="incident",
                title=incident.title,
                detail=f"{incident.place_name}, {incident.country.name}",  # type: ignore[attr-defined]
                url=reverse("cases:incident_detail", args=[case.pk, incident.pk]),
            )
        )
    for change in StatusChange.objects.filter(case=case).select_related("actor"):
        entries.append(
            TimelineEntry(
                when=change.created_at,
                kind="status",
                title=_("Status: %(status)s") % {"status": change.get_to_status_display()},
                detail=change.reason_display,
            )
        )

    from cases.timeline import provided_entries

    entries += provided_entries(case, user)

    def key(entry: TimelineEntry) -> tuple[date, int]:
        day = entry.when.date() if isinstance(entry.when, datetime) else entry.when
        return (day, 0 if entry.kind == "incident" else 1)

    return sorted(entries, key=key)


def case_activity(case: Case, user: User) -> QuerySet[AuditEvent]:
    """The case's audit trail, less the rows about what ``user`` may not see here."""
    from cases.activity import hidden_rows

    return (
        AuditEvent.objects.filter(case_id=case.pk).exclude(hidden_rows(case, user)).order_by("-id")
    )


def incidents_of(case: Case) -> QuerySet[Incident]:
    return case.incidents.prefetch_related("crimes").order_by("date_start", "id")


def incident_get(case: Case, pk: int) -> Incident:
    incident = incidents_of(case).filter(pk=pk).first()
    if incident is None:
        raise Http404
    return incident


def cases_for_team_admin() -> QuerySet[Case]:
    """Every case by reference and status only, for unit admins managing teams."""
    return (
        Case.objects.only("pk", "reference", "status", "classification", "year", "number")
        .annotate(member_count=Count("members"))
        .order_by("-year", "-number")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=CaseMember.objects.filter(role=CaseMember.Role.LEAD).select_related(
                    "user"
                ),
                to_attr="leads",
            )
        )
    )


def member_users_for_select(case: Case) -> QuerySet[User]:
    return User.objects.filter(case_memberships__case=case, is_active=True)
