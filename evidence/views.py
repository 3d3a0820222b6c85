"""Evidence pages. Items, files and transfers load through ``evidence.selectors`` (404 for
anything of a case the user may not see); custody changes go through ``evidence.services``."""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Page, Paginator
from django.forms import BaseForm
from django.http import FileResponse, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import recent_login_required, role_required
from accounts.models import Clearance
from accounts.roles import Role as UserRole
from audit.services import audit_read, search_audited
from cases import permissions as P
from cases.selectors import CaseAccess, case_access, person_rows
from cases.services import case_read_record
from custos.forms import action_service, form_service
from custos.http import AuthenticatedHttpRequest
from custos.uploads import authorise_before_body
from custos.views import GET_POST, confirm_action
from evidence import selectors, services
from evidence.forms import (
    AcceptForm,
    CustodyEventForm,
    FileForm,
    ItemForm,
    NewItemForm,
    RegisterFilterForm,
    TransferForm,
)
from evidence.models import CustodyEvent
from evidence.services import fixity
from evidence.uploads import HashingUploadHandler

CUSTODY_LOG_PAGE = 25  # custody events per page of an item


def _page(
    request: AuthenticatedHttpRequest, template: str, access: CaseAccess, **context: object
) -> HttpResponse:
    case = context.pop("case", None) or access.case
    return render(
        request, template, {"case": case, "access": access, "tab": "evidence", "P": P, **context}
    )


def _streamed_upload(
    authorise: Callable[..., object],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Hashes uploads while they stream to disk, refuses oversized ones before reading them,
    and removes the temporary file if the client goes away mid-upload.

    ``authorise(request, **kwargs)`` runs first and raises the view's 404 or 403 before a
    byte of the body is read: a user without access to the case writes nothing to disk.
    CSRF is checked after the upload handler is in place (Django reads the body for the
    token), which is why the outer view is exempt and the inner one protected."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        inner = csrf_protect(view)

        @csrf_exempt
        @wraps(view)
        def wrapped(
            request: AuthenticatedHttpRequest, *args: object, **kwargs: object
        ) -> HttpResponse:
            authorise_before_body(authorise, request, *args, **kwargs)
            return _upload(request, inner, *args, **kwargs)

        return wrapped

    return decorator


def _upload(
    request: AuthenticatedHttpRequest,
    inner: Callable[..., HttpResponse],
    *args: object,
    **kwargs: object,
) -> HttpResponse:
    handler = HashingUploadHandler(request)
    request.upload_handlers = [handler]
    if request.method == "POST":
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > settings.CUSTOS_UPLOAD_MAX_BYTES + 1024 * 1024:
            return render(request, "evidence/too_large.html", status=413)
        try:
            request.POST  # noqa: B018 - parse now, so that a broken upload is caught here
        except (OSError, MultiPartParserError):
            handler.upload_interrupted()
            return render(request, "evidence/upload_failed.html", status=400)
    request.upload_too_large = handler.too_large  # type: ignore[attr-defined]  # _upload_error
    return inner(request, *args, **kwargs)


def _case_contributor(request: AuthenticatedHttpRequest, case_pk: int) -> None:
    case_access(request.user, case_pk, P.CONTRIBUTE)


def _item_contributor(request: AuthenticatedHttpRequest, pk: int) -> None:
    selectors.item_access(request.user, pk, P.CONTRIBUTE)


def _warn_duplicate(request: AuthenticatedHttpRequest, added: services.FileAdded) -> None:
    # Not about a file the user may not name: that would confirm what a withheld or
    # classified item holds.
    if added.duplicate_of is None or not selectors.file_readable_by(
        request.user, added.duplicate_of
    ):
        return
    messages.warning(
        request,
        _("The same file is already in this case as %(exhibit)s: linked, not stored twice.")
        % {"exhibit": added.duplicate_of.item.exhibit},
    )


def _upload_error(request: AuthenticatedHttpRequest, form: BaseForm) -> bool:
    if getattr(request, "upload_too_large", False):
        limit = settings.CUSTOS_UPLOAD_MAX_BYTES
        form.add_error(
            "upload",
            _("The file is larger than the limit of %(gib).1f GiB.") % {"gib": limit / 1024**3},
        )
        return True
    return False


# --- Register, item creation and editing ----------------------------------------------------


@require_GET
def register_view(request: AuthenticatedHttpRequest, case_pk: int) -> HttpResponse:
    access = case_access(request.user, case_pk)
    form = RegisterFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    query = (filters.get("q") or "").strip()

    def read() -> tuple[Page, int]:
        items = selectors.register(
            access.case,
            user=request.user,
            kind=filters.get("kind") or "",
            status=filters.get("status") or "",
            query=query,
        )
        found = Paginator(items, 50).get_page(request.GET.get("page"))
        audit_read(actor=request.user, action="evidence.register_viewed", target=access.case)
        return found, found.paginator.count

    page = search_audited(
        actor=request.user,
        area="evidence",
        query=query,
        params=request.GET if filters else {},
        read=read,
    )
    return _page(request, "evidence/register.html", access, form=form, page=page)


@_streamed_upload(_case_contributor)
@GET_POST
def item_create_view(request: AuthenticatedHttpRequest, case_pk: int) -> HttpResponse:
    access = case_access(request.user, case_pk, P.CONTRIBUTE)
    persons = person_rows(request.user, access.case)
    form = NewItemForm(
        request.POST or None,
        request.FILES or None,
        persons=persons,
        case=access.case,
        actor=request.user,
    )
    _upload_error(request, form)
    created = form_service(
        request,
        form,
        lambda: services.item_create(case=access.case, actor=request.user, **form.cleaned_data),
    )
    if created:
        item, added = created.value
        messages.success(
            request,
            _("%(exhibit)s registered. You are its custodian.") % {"exhibit": item.exhibit},
        )
        if added and added.duplicate_of:
            _warn_duplicate(request, added)
        return redirect("evidence:detail", pk=item.pk)
    return _page(request, "evidence/item_form.html", access, form=form, upload_form=True)


@require_GET
def item_detail_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item, access = selectors.item_access(request.user, pk)
    audit_read(actor=request.user, action="evidence.viewed", target=item)
    rows = person_rows(request.user, item.case)
    source = next((row for row in rows if row.case_person.pk == item.source_person_id), None)
    identified = set(item.identifies.values_list("pk", flat=True))
    readable = selectors.readable_files(request.user, item)
    return _page(
        request,
        "evidence/item_detail.html",
        access,
        item=item,
        # Paged: an exhibit handled for years has hundreds of events, and rendering them all
        # made the page slow (bench/latency.py); every event stays one click away.
        events=Paginator(selectors.custody_log(item), CUSTODY_LOG_PAGE).get_page(
            request.GET.get("page")
        ),
        files=readable.files.readable,
        readable_ids={file.pk for file in readable.files.readable},
        withheld=readable.files.withheld,
        original_sha256=readable.original_sha256,
        may_approve=access.can(P.CHANGE) and readable.may_read_item,
        pending=selectors.pending_transfer(item),
        source=source,
        identifies=[row for row in rows if row.case_person.pk in identified],
        # The case's level is the floor: an item is never read below it.
        classification=Clearance(max(item.classification, item.case.classification)).label,
        is_custodian=item.custodian_id == request.user.pk,
    )


@GET_POST
def item_edit_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item, access = selectors.item_access(request.user, pk, P.CONTRIBUTE)
    persons = person_rows(request.user, item.case)
    form = ItemForm(
        request.POST or None,
        instance=copy.copy(item),
        persons=persons,
        case=item.case,
        actor=request.user,
    )
    form.fields.pop("storage_location")
    form.fields.pop("seal_numbers")
    if form_service(
        request,
        form,
        lambda: services.item_update(item=item, actor=request.user, **form.cleaned_data),
    ):
        messages.success(request, _("Saved."))
        return redirect("evidence:detail", pk=pk)
    return _page(request, "evidence/item_form.html", access, form=form, item=item)


@_streamed_upload(_item_contributor)
@GET_POST
def file_add_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item, access = selectors.item_access(request.user, pk, P.CONTRIBUTE)
    readable = selectors.readable_files(request.user, item)
    form = FileForm(
        request.POST or None, request.FILES or None, files_of_item=readable.files.readable
    )
    _upload_error(request, form)
    stored = form_service(
        request,
        form,
        lambda: services.file_add(
            item=item,
            actor=request.user,
            upload=form.cleaned_data["upload"],
            role=form.cleaned_data["role"],
            derived_from=form.cleaned_data["derived_from"],
            method=form.cleaned_data["method"],
        ),
    )
    if stored:
        added = stored.value
        messages.success(
            request, _("File stored. SHA-256 %(hash)s") % {"hash": added.file.blob.sha256}
        )
        if added.duplicate_of:
            _warn_duplicate(request, added)
        return redirect("evidence:detail", pk=pk)
    return _page(
        request,
        "evidence/file_form.html",
        access,
        form=form,
        item=item,
        upload_form=True,
        withheld=readable.files.withheld,
    )


# --- Custody --------------------------------------------------------------------------------


@GET_POST
def transfer_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item, access = selectors.item_access(request.user, pk, P.CONTRIBUTE)
    recipients = selectors.custody_recipients(item, request.user)
    form = TransferForm(request.POST or None, recipients=recipients)
    if form_service(
        request,
        form,
        lambda: services.transfer_initiate(
            item=item,
            actor=request.user,
            to_user=form.cleaned_data["to_user"],
            purpose=form.cleaned_data["purpose"],
            notes=form.cleaned_data["notes"],
        ),
    ):
        messages.success(
            request, _("Hand-over started: the item is in transit until the recipient accepts.")
        )
        return redirect("evidence:detail", pk=pk)
    return _page(request, "evidence/transfer_form.html", access, form=form, item=item)


@sensitive_post_parameters("password")
@GET_POST
def transfer_accept_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    transfer, access = selectors.transfer_access(request.user, pk)
    form = AcceptForm(request.POST or None)

    def accept() -> CustodyEvent:
        user = authenticate(
            request, username=request.user.get_username(), password=form.cleaned_data["password"]
        )
        if user is None or user.pk != request.user.pk:
            raise ValidationError({"password": _("The password is not correct.")})
        return services.transfer_accept(
            transfer=transfer, actor=request.user, location=form.cleaned_data["location"]
        )

    if form_service(request, form, accept):
        messages.success(
            request,
            _("You are now the custodian of %(exhibit)s.") % {"exhibit": transfer.item.exhibit},
        )
        return redirect("evidence:detail", pk=transfer.item_id)
    return _page(
        request,
        "evidence/transfer_accept.html",
        access,
        form=form,
        transfer=transfer,
        item=transfer.item,
    )


@require_POST
def transfer_cancel_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    transfer, _access = selectors.transfer_access(request.user, pk)
    if action_service(
        request, lambda: services.transfer_cancel(transfer=transfer, actor=request.user)
    ):
        messages.success(request, _("Hand-over cancelled."))
    return redirect("evidence:detail", pk=transfer.item_id)


@GET_POST
def custody_event_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item, access = selectors.item_access(request.user, pk, P.CONTRIBUTE)
    form = CustodyEventForm(request.POST or None, item=item)
    if form_service(
        request,
        form,
        lambda: services.custody_record(item=item, actor=request.user, **form.cleaned_data),
    ):
        messages.success(request, _("Custody event recorded."))
        return redirect("evidence:detail", pk=pk)
    return _page(request, "evidence/custody_form.html", access, form=form, item=item)


@require_POST
def verify_now_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item, _access = selectors.item_access(request.user, pk)
    fixity.item_fixity_request(item=item, actor=request.user)
    messages.info(request, _("An integrity check of this item's files has been queued."))
    return redirect("evidence:detail", pk=pk)


# --- Files: download and preview ------------------------------------------------------------


def _file_response(request: AuthenticatedHttpRequest, pk: int, *, inline: bool) -> FileResponse:
    file, _access = selectors.file_access(request.user, pk)
    blob = file.blob
    if inline and blob.preview_kind is None:
        inline = False  # only images, audio and video show inline; never HTML or SVG
    audit_read(
        actor=request.user,
        action="evidence.previewed" if inline else "evidence.downloaded",
        target=file,
        details={"sha256": blob.sha256},
    )
    # A file object, not a generator: FileResponse then streams it in blocks *and* sets
    # Content-Length and the Content-Disposition with the (already safe) file name.
    response = FileResponse(
        default_storage.open(blob.storage_name, "rb"),
        as_attachment=not inline,
        filename=file.filename,
        content_type=blob.mime_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; media-src 'self'; img-src 'self'"
    )
    return response


@recent_login_required
@GET_POST
def redaction_approve_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A case lead holding the identities the item reveals approves a redacted version: a
    disclosure decision, so behind a fresh login like the others (accounts/sensitive.py)."""
    file, _access = selectors.file_for_change(request.user, pk)
    if request.method == "GET":
        return confirm_action(
            request,
            title=_("Approve a redacted version"),
            question=_(
                "Approve this redacted version of %(exhibit)s? Team members who do not hold "
                "the identities it hides will be able to open it."
            )
            % {"exhibit": file.item.exhibit},
            button=_("Approve this redaction"),
            cancel_url=reverse("evidence:detail", args=[file.item_id]),
        )
    if action_service(request, lambda: services.redaction_approve(file=file, actor=request.user)):
        messages.success(
            request,
            _(
                "Redacted version approved: the team members who do not hold the identities "
                "it hides may now open it."
            ),
        )
    return redirect("evidence:detail", pk=file.item_id)


@require_GET
def download_view(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    return _file_response(request, pk, inline=False)


@require_GET
def preview_view(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    return _file_response(request, pk, inline=True)


# --- Integrity ------------------------------------------------------------------------------


@require_GET
def integrity_view(request: AuthenticatedHttpRequest, case_pk: int) -> HttpResponse:
    access = case_access(request.user, case_pk)
    case_read_record(access=access, actor=request.user, page="evidence integrity")
    rows = selectors.integrity_of_case(request.user, access.case)
    return _page(request, "evidence/integrity.html", access, rows=rows)


@role_required(UserRole.UNIT_ADMIN)
@require_GET
def integrity_admin_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Failed integrity checks across the unit: exhibit numbers and hashes only."""
    return render(
        request, "evidence/integrity_admin.html", {"blobs": selectors.integrity_failures()}
    )
