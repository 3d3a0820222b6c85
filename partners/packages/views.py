"""Case package pages: request, decide, follow the rendering, download, revoke, verify.

Every package is loaded through ``package_access`` (404 unless visible to the user); the
case-lead actions then need the lead's permission on the case (403 for other team members).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET

from accounts.decorators import recent_login_required, role_required
from accounts.models import Clearance
from accounts.roles import STAFF_ROLES, Role
from audit.services import audit_read
from cases import permissions as P
from cases.selectors import case_access
from cases.services import case_read_record
from custos.forms import action_service, form_service
from custos.http import AuthenticatedHttpRequest
from custos.uploads import authorise_before_body
from custos.views import GET_POST, confirm_action
from partners.models import Package
from partners.packages import selectors, services
from partners.packages.forms import (
    PackageDecisionForm,
    PackageRequestForm,
    PackageRevokeForm,
    PackageVerifyForm,
)
from partners.packages.pdf import verify

STAFF_OR_LIAISON = role_required(*STAFF_ROLES, Role.TRIBUNAL_LIAISON)


def _decider_access(request: AuthenticatedHttpRequest, pk: int) -> selectors.PackageAccess:
    """The package for a decision on it (approve, reject, revoke, retry): 404 unless the
    user sees it, 403 unless they may decide (its case lead)."""
    access = selectors.package_access(request.user, pk)
    if not access.can_decide:
        raise PermissionDenied
    return access


@STAFF_OR_LIAISON
@require_GET
def list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    packages = selectors.package_list_for(request.user)
    shares = selectors.package_shares_for_liaison(request.user)
    return render(
        request, "partners/package_list.html", {"packages": packages[:200], "shares": shares}
    )


@require_GET
def case_packages_view(request: AuthenticatedHttpRequest, case_pk: int) -> HttpResponse:
    access = case_access(request.user, case_pk)
    case_read_record(access=access, actor=request.user, page="packages")
    return render(
        request,
        "partners/package_case.html",
        {
            "case": access.case,
            "access": access,
            "tab": "packages",
            "P": P,
            "packages": selectors.package_list_for(request.user, case=access.case),
        },
    )


def _request_form(
    request: AuthenticatedHttpRequest, *, case, share, for_liaison: bool, back: str
) -> HttpResponse:
    form = PackageRequestForm(request.POST or None, case=case, for_liaison=for_liaison)

    def request_package() -> Package:
        data = form.cleaned_data
        return services.package_request(
            actor=request.user,
            case=case,
            share=share,
            purpose=data["purpose"],
            purpose_detail=data["purpose_detail"],
            recipient=data.get("recipient", ""),
            language=data["language"],
            deadline=data["deadline"],
            scope=services.Scope(**form.scope_kwargs()),
        )

    requested = form_service(request, form, request_package)
    if requested:
        messages.success(request, _("The package is requested. The case lead decides."))
        return redirect("packages:detail", pk=requested.value.pk)
    return render(
        request,
        "partners/package_form.html",
        {"form": form, "case": case, "share": share, "back": back},
    )


@GET_POST
def request_for_case_view(request: AuthenticatedHttpRequest, case_pk: int) -> HttpResponse:
    """A case lead requests a package of their case."""
    access = case_access(request.user, case_pk, P.CHANGE)
    return _request_form(
        request, case=access.case, share=None, for_liaison=False, back="packages:case"
    )


@GET_POST
def request_for_share_view(request: AuthenticatedHttpRequest, share_pk: int) -> HttpResponse:
    """A liaison requests a package of a case shared with their organisation (a 404 for
    everyone else: the share is not theirs)."""
    share = selectors.package_share_get(request.user, share_pk)
    return _request_form(
        request, case=share.case, share=share, for_liaison=True, back="partners:shared_list"
    )


@require_GET
def detail_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    access = selectors.package_access(request.user, pk)
    package = access.package
    audit_read(actor=request.user, action="package.viewed", target=package)
    return render(
        request,
        "partners/package_detail.html",
        {
            "package": package,
            "access": access,
            "disclosures": package.disclosures.select_related("case_person", "added_by")
            if access.case_access
            else [],
            "recipients": package.recipients.order_by("full_name") if access.case_access else [],
            "revoke_form": PackageRevokeForm(),
        },
    )


@require_GET
def progress_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The status box, polled by htmx while the package renders."""
    access = selectors.package_access(request.user, pk)
    return render(
        request, "partners/_package_status.html", {"package": access.package, "access": access}
    )


@recent_login_required
@GET_POST
def decide_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    access = _decider_access(request, pk)
    package = access.package
    level = selectors.package_content_classification(package)
    form = PackageDecisionForm(
        request.POST or None,
        package=package,
        actor=request.user,
        can_disclose=access.can_disclose,
        level=level,
    )

    def decide() -> str:
        """Approves or rejects; the message to show."""
        data = form.cleaned_data
        if data["decision"] == PackageDecisionForm.APPROVE:
            justification = data.get("justification", "")
            services.package_approve(
                package=package,
                actor=request.user,
                reason=data["reason"],
                disclosures=[(cp, justification) for cp in data.get("disclose") or ()],
                recipients=list(data.get("recipients") or ()),
                declassify_to=data.get("declassify_to"),
                declassification_reason=data.get("declassification_reason", ""),
            )
            return _("Approved: the package is queued for rendering.")
        services.package_reject(package=package, actor=request.user, reason=data["reason"])
        return _("The request is rejected.")

    decided = form_service(request, form, decide)
    if decided:
        messages.success(request, decided.value)
        return redirect("packages:detail", pk=package.pk)
    return render(
        request,
        "partners/package_decide.html",
        {"package": package, "form": form, "level": Clearance(level).label},
    )


@recent_login_required
@GET_POST
def revoke_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    access = _decider_access(request, pk)
    form = PackageRevokeForm(request.POST or None)
    if form_service(
        request,
        form,
        lambda: services.package_revoke(
            package=access.package, actor=request.user, reason=form.cleaned_data["reason"]
        ),
    ):
        messages.success(request, _("The package is revoked."))
        return redirect("packages:detail", pk=pk)
    return render(
        request, "partners/package_revoke.html", {"package": access.package, "form": form}
    )


@recent_login_required
@GET_POST
def retry_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    access = _decider_access(request, pk)
    if request.method == "GET":
        return confirm_action(
            request,
            title=_("Render the package again"),
            question=_("Queue %(ref)s for rendering again?") % {"ref": access.package.reference},
            button=_("Retry"),
            cancel_url=reverse("packages:detail", args=[pk]),
        )
    if action_service(
        request, lambda: services.package_retry(package=access.package, actor=request.user)
    ):
        messages.success(request, _("The package is queued for rendering again."))
    return redirect("packages:detail", pk=pk)


@require_GET
def download_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    access = selectors.package_access(request.user, pk)
    if access.download is None:
        return render(
            request,
            "partners/package_download_refused.html",
            {"package": access.package, "access": access},
            status=403,
        )
    try:
        handle = services.package_download(package=access.package, actor=request.user)
    except ValidationError as error:
        return render(
            request,
            "partners/package_unavailable.html",
            {"package": access.package, "message": " ".join(error.messages)},
            status=410,
        )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{access.package.reference}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "no-store"
    return response


# A multipart request carries a few hundred bytes besides the file (boundaries, headers, the
# CSRF token): a declared length above the limit by more than this is refused unread.
MULTIPART_ENVELOPE = 64 * 1024


class _CappedUploadHandler(FileUploadHandler):
    """Counts the bytes of the uploaded file as they stream and stops the upload past
    ``CUSTOS_PACKAGE_VERIFY_MAX_BYTES``; the next handlers (Django's own) store it meanwhile."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.received = 0
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.CUSTOS_PACKAGE_VERIFY_MAX_BYTES:
            self.too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _too_large(request: HttpRequest) -> HttpResponse:
    limit = settings.CUSTOS_PACKAGE_VERIFY_MAX_BYTES
    # Nothing reads the body later: Django's own attributes, set as its parser would.
    request._post, request._files = QueryDict(), MultiValueDict()  # type: ignore[attr-defined]
    return render(
        request,
        "partners/package_verify_too_large.html",
        {"mib": max(1, limit // (1024 * 1024))},
        status=413,
    )


def _may_verify(request: AuthenticatedHttpRequest) -> None:
    """Those who make or receive packages: the unit's staff and tribunal liaisons."""
    if not request.user.has_role(*STAFF_ROLES, Role.TRIBUNAL_LIAISON):
        raise PermissionDenied


def _verification_upload(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decides access before the body is read (``custos.uploads``), then refuses a file above
    the verification limit: from its declared length before the body is read, or while it
    streams. CSRF is checked once the handler is in place (Django reads the body for the
    token), hence the exempt outer view and the protected inner one."""
    inner = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapped(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        authorise_before_body(_may_verify, request)
        if request.method == "POST":
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if declared > settings.CUSTOS_PACKAGE_VERIFY_MAX_BYTES + MULTIPART_ENVELOPE:
                return _too_large(request)
            handler = _CappedUploadHandler(request)
            request.upload_handlers.insert(0, handler)
            with contextlib.suppress(MultiPartParserError):  # the form reports the file missing
                request.POST  # noqa: B018 - parse now, under the cap
            if handler.too_large:
                return _too_large(request)
        return inner(request, *args, **kwargs)

    return wrapped


@_verification_upload
@GET_POST
def verify_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The unit's staff and tribunal liaisons (who make and receive packages) may check a PDF:
    they learn whether we issued it, whether it is intact and signed, and for which package
    and recipient. Nothing else about the package."""

    form = PackageVerifyForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = verify(upload)
        outcome = (
            "valid"
            if result.issued and result.hash_matches and result.signature_valid
            else ("altered" if result.issued else "unknown")
        )
        services.verification_record(actor=request.user, outcome=outcome, package=result.package)
    return render(request, "partners/package_verify.html", {"form": form, "result": result})
