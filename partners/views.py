"""Partner pages: the staff directory, agreements and invitations (unit admins), case sharing
(case leads), and what a liaison sees of the cases shared with their organisation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET

from accounts.decorators import recent_login_required, role_required
from accounts.roles import STAFF_ROLES, Role
from audit.services import audit_read, search_audited
from cases import permissions as P
from cases.selectors import case_access
from cases.services import case_read_record
from custos.forms import action_service, form_service
from custos.http import AuthenticatedHttpRequest
from custos.uploads import access_before_body
from custos.views import GET_POST, confirm_action
from partners import selectors, services
from partners.forms import (
    AcceptInvitationForm,
    AgreementForm,
    ContactForm,
    DirectoryFilterForm,
    InvitationForm,
    OrganisationForm,
    ShareForm,
)
from partners.meetings.selectors import meetings_visible_to
from partners.models import Agreement, CaseShare
from partners.packages.selectors import package_list_for

STAFF = role_required(*STAFF_ROLES)
UNIT_ADMIN = role_required(Role.UNIT_ADMIN)


# --- Directory (staff) ----------------------------------------------------------------------


@STAFF
@require_GET
def directory_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    query_text = (data.get("q") or "").strip()

    def read() -> tuple[Page, int]:
        organisations = selectors.organisations_for_directory(
            query=query_text,
            kind=data.get("kind") or "",
            country=data.get("country") or "",
            status=data.get("status") or "",
            network=data["network"].pk if data.get("network") else None,
        )
        found = Paginator(organisations, 50).get_page(request.GET.get("page"))
        return found, found.paginator.count

    page = search_audited(
        actor=request.user,
        area="partners",
        query=query_text,
        params=request.GET if data else {},
        read=read,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "partners/partner_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_manage": request.user.has_role(Role.UNIT_ADMIN),
        },
    )


@require_GET
def detail_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org = selectors.organisation_get(request.user, pk)
    context = {
        "org": org,
        "contacts": org.contacts.all(),
        "agreements": org.agreements.all(),
        "shares": selectors.shares_of_organisation_visible_to(request.user, org),
        "meetings": meetings_visible_to(request.user).filter(organiser=org)[:20],
        "packages": package_list_for(request.user).filter(organisation=org)[:50],
        "can_manage": request.user.has_role(Role.UNIT_ADMIN),
    }
    return render(request, "partners/partner_detail.html", context)


@UNIT_ADMIN
@GET_POST
def organisation_form_view(
    request: AuthenticatedHttpRequest, pk: int | None = None
) -> HttpResponse:
    org = selectors.organisation_get(request.user, pk) if pk else None
    form = OrganisationForm(request.POST or None, instance=org)
    saved = form_service(
        request,
        form,
        lambda: services.organisation_save(
            actor=request.user, organisation=org, **form.cleaned_data
        ),
    )
    if saved:
        messages.success(request, _("Partner saved."))
        return redirect("partners:detail", pk=saved.value.pk)
    return render(request, "partners/partner_form.html", {"form": form, "org": org})


@UNIT_ADMIN
@GET_POST
def contact_add_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org = selectors.organisation_get(request.user, pk)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.contact_add(actor=request.user, organisation=org, **form.cleaned_data)
        messages.success(request, _("Contact added."))
        return redirect("partners:detail", pk=pk)
    return render(
        request,
        "partners/simple_form.html",
        {"form": form, "org": org, "title": _("Add a contact")},
    )


def _agreement_adder(request: AuthenticatedHttpRequest, pk: int) -> None:
    if not request.user.has_role(Role.UNIT_ADMIN):
        raise PermissionDenied
    selectors.organisation_get(request.user, pk)


@access_before_body(_agreement_adder)  # the signed document: nothing is written for others
@UNIT_ADMIN
@GET_POST
def agreement_add_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org = selectors.organisation_get(request.user, pk)
    form = AgreementForm(request.POST or None, request.FILES or None)
    if form_service(
        request,
        form,
        lambda: services.agreement_add(actor=request.user, organisation=org, **form.cleaned_data),
    ):
        messages.success(request, _("Agreement recorded."))
        return redirect("partners:detail", pk=pk)
    return render(
        request,
        "partners/simple_form.html",
        {"form": form, "org": org, "title": _("Record an agreement"), "multipart": True},
    )


@STAFF
@require_GET
def agreement_document_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    agreement = get_object_or_404(
        Agreement.objects.visible_to(request.user).select_related("organisation"), pk=pk
    )
    if not agreement.document:
        raise Http404
    audit_read(
        actor=request.user,
        action="partner.agreement_downloaded",
        target=agreement.organisation,
        details={"agreement": agreement.pk},
    )
    response = FileResponse(
        agreement.document.open("rb"),
        as_attachment=True,
        filename=agreement.document.name.rsplit("/", 1)[-1],
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@UNIT_ADMIN
@GET_POST
def invite_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    org = selectors.organisation_get(request.user, pk)
    form = InvitationForm(request.POST or None)
    created = form_service(
        request,
        form,
        lambda: services.invitation_create(
            actor=request.user, organisation=org, **form.cleaned_data
        ),
    )
    if created:
        # The token goes to the invitee's address only: the admin never sees the link.
        invitation, _token = created.value
        return render(
            request,
            "partners/invitation_sent.html",
            {"org": org, "invitation": invitation},
        )
    return render(
        request,
        "partners/simple_form.html",
        {"form": form, "org": org, "title": _("Invite a liaison")},
    )


@login_not_required
@sensitive_post_parameters("password1", "password2")
@never_cache
@GET_POST
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """A liaison sets up their account from the link in their invitation."""
    invitation = services.invitation_for_token(token)
    if invitation is None or not invitation.is_usable:
        return render(request, "partners/invitation_invalid.html", status=410)
    form = AcceptInvitationForm(request.POST or None)
    accepted = form_service(
        request,
        form,
        lambda: services.invitation_accept(
            token=token,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            language=translation.get_language(),
        ),
    )
    if accepted:
        login(request, accepted.value, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome. Now protect your account with a second factor."))
        return redirect("accounts:2fa_setup")
    return render(
        request, "partners/invitation_accept.html", {"form": form, "invitation": invitation}
    )


# --- Sharing (case leads) -------------------------------------------------------------------


@require_GET
def case_shares_view(request: AuthenticatedHttpRequest, case_pk: int) -> HttpResponse:
    return _shares_page(request, case_pk, sharing=False)


@recent_login_required
@GET_POST
def share_create_view(request: AuthenticatedHttpRequest, case_pk: int) -> HttpResponse:
    """Sharing a case is a sensitive action: the sharing page's form posts here."""
    return _shares_page(request, case_pk, sharing=True)


def _shares_page(request: AuthenticatedHttpRequest, case_pk: int, *, sharing: bool) -> HttpResponse:
    access = case_access(request.user, case_pk, P.CHANGE if sharing else P.VIEW)
    form = ShareForm(request.POST or None)
    if form_service(
        request,
        form,
        lambda: services.share_create(case=access.case, actor=request.user, **form.cleaned_data),
    ):
        messages.success(request, _("The case is shared."))
        return redirect("partners:case_shares", case_pk=case_pk)
    if request.method == "GET":
        case_read_record(access=access, actor=request.user, page="sharing")
    shares = selectors.shares_of_case(access.case)
    active = set(CaseShare.objects.active().filter(case=access.case).values_list("pk", flat=True))
    return render(
        request,
        "partners/case_shares.html",
        {
            "case": access.case,
            "access": access,
            "tab": "sharing",
            "P": P,
            "form": form,
            "shares": shares,
            "active": active,
        },
    )


@recent_login_required
@GET_POST
def share_revoke_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    share = get_object_or_404(CaseShare.objects.visible_to(request.user), pk=pk)
    access = case_access(request.user, share.case_id, P.CHANGE)  # 404 / 403 as for the case
    if request.method == "GET":
        return confirm_action(
            request,
            title=_("Revoke sharing"),
            question=_("Stop sharing %(ref)s with %(org)s?")
            % {"ref": access.case.reference, "org": share.organisation},
            button=_("Revoke"),
            cancel_url=reverse("partners:case_shares", args=[access.case.pk]),
        )
    if action_service(request, lambda: services.share_revoke(share=share, actor=request.user)):
        messages.success(request, _("Sharing revoked: the partner no longer sees the case."))
    return redirect("partners:case_shares", case_pk=access.case.pk)


# --- What a liaison sees --------------------------------------------------------------------


@role_required(Role.TRIBUNAL_LIAISON)
@require_GET
def shared_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    org = selectors.liaison_organisation(request.user)
    shares = selectors.shares_for_liaison(request.user)
    return render(request, "partners/shared_list.html", {"org": org, "shares": shares})


@require_GET
def shared_detail_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    share = selectors.shared_case_get(request.user, pk)
    audit_read(
        actor=request.user,
        action="case.viewed_as_partner",
        target=share.case,
        details={"share": share.pk},
    )
    return render(request, "partners/shared_detail.html", {"share": share, "case": share.case})
