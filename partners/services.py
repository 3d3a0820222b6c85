"""Writes about partners: the directory, agreements, liaison invitations and case sharing.
Each checks what the actor may do, owns its transaction and writes its audit row in it."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, override
from django.utils.translation import gettext as _

from accounts.models import Clearance, User
from accounts.roles import Role
from accounts.services import notification_send, user_create
from audit.services import audit_record
from cases import permissions as P
from cases.models import Case
from cases.selectors import case_permissions
from evidence.uploads import safe_filename
from partners.models import (
    Agreement,
    CaseShare,
    Contact,
    Invitation,
    PartnerMembership,
    PartnerOrganisation,
)

ORGANISATION_FIELDS = (
    "name",
    "acronym",
    "kind",
    "country",
    "address",
    "website",
    "languages",
    "status",
)
CONTACT_FIELDS = ("name", "function", "email", "phone", "languages", "is_contact_point")
AGREEMENT_FIELDS = ("kind", "title", "signed_on", "valid_from", "valid_until", "scope")


def _require_unit_admin(actor: User) -> None:
    if not actor.has_role(Role.UNIT_ADMIN):
        raise PermissionDenied


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- Directory --------------------------------------------------------------------------------


@transaction.atomic
def organisation_save(
    *,
    actor: User,
    organisation: PartnerOrganisation | None = None,
    networks: Any = None,
    **data: Any,
) -> PartnerOrganisation:
    _require_unit_admin(actor)
    created = organisation is None
    organisation = organisation or PartnerOrganisation()
    for name in ORGANISATION_FIELDS:
        if name in data:
            setattr(organisation, name, data[name])
    organisation.full_clean()
    organisation.save()
    if networks is not None:
        organisation.networks.set(networks)
    audit_record(
        actor=actor,
        action="partner.created" if created else "partner.updated",
        target=organisation,
    )
    return organisation


@transaction.atomic
def contact_add(*, actor: User, organisation: PartnerOrganisation, **data: Any) -> Contact:
    _require_unit_admin(actor)
    contact = Contact(
        organisation=organisation, **{k: v for k, v in data.items() if k in CONTACT_FIELDS}
    )
    contact.full_clean()
    contact.save()
    audit_record(
        actor=actor,
        action="partner.contact_added",
        target=organisation,
        details={"contact": contact.pk},
    )
    return contact


@transaction.atomic
def agreement_add(
    *,
    actor: User,
    organisation: PartnerOrganisation,
    document: UploadedFile[bytes] | None = None,
    **data: Any,
) -> Agreement:
    _require_unit_admin(actor)
    if (
        data.get("valid_until")
        and data.get("valid_from")
        and data["valid_until"] < data["valid_from"]
    ):
        raise ValidationError({"valid_until": _("The agreement ends before it starts.")})
    agreement = Agreement(
        organisation=organisation,
        created_by=actor,
        **{k: v for k, v in data.items() if k in AGREEMENT_FIELDS},
    )
    if document is not None:
        document.name = safe_filename(document.name)
        agreement.document = document
    agreement.full_clean()
    agreement.save()
    audit_record(
        actor=actor,
        action="partner.agreement_added",
        target=organisation,
        details={"agreement": agreement.pk},
    )
    return agreement


# --- Liaison invitations ----------------------------------------------------------------------


@transaction.atomic
def invitation_create(
    *,
    actor: User,
    organisation: PartnerOrganisation,
    email: str,
    full_name: str,
    language: str = "",
) -> tuple[Invitation, str]:
    """Invites a liaison. Returns the invitation and its token, which exists only here and in
    the e-mail to the invitee (no page shows it): the database keeps its hash. The e-mail is
    written in ``language`` (by default the inviting admin's current language)."""
    _require_unit_admin(actor)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("An account with this e-mail address already exists.")})
    if Invitation.objects.filter(
        email__iexact=email, used_at__isnull=True, expires_at__gt=timezone.now()
    ).exists():
        raise ValidationError({"email": _("This address already has an invitation waiting.")})
    if organisation.status != PartnerOrganisation.Status.ACTIVE:
        raise ValidationError(_("This partner is suspended."))
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        full_name=full_name,
        language=language or get_language() or settings.LANGUAGE_CODE,
        token_hash=token_hash(token),
        created_by=actor,
        expires_at=timezone.now() + timedelta(days=settings.CUSTOS_INVITATION_DAYS),
    )
    audit_record(
        actor=actor,
        action="partner.liaison_invited",
        target=organisation,
        details={"invitation": invitation.pk, "email": email},
    )
    link = settings.CUSTOS_BASE_URL + reverse("partners:invitation_accept", args=[token])
    # The token cannot travel through the broker (messages carry ids, and only the hash is
    # stored), so the e-mail leaves from this process once the invitation is committed.
    transaction.on_commit(lambda: _send_invitation(invitation, link))
    return invitation, token


def _send_invitation(invitation: Invitation, link: str) -> None:
    context = {"invitation": invitation, "link": link}
    with override(invitation.language):
        subject = render_to_string("partners/email/invitation_subject.txt", context).strip()
        message = render_to_string("partners/email/invitation_body.txt", context)
    send_mail(
        subject=subject,
        message=message,
        from_email=None,
        recipient_list=[invitation.email],
        fail_silently=True,  # undelivered, the invitation expires unused
    )


def invitation_for_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=token_hash(token))
        .first()
    )


@transaction.atomic
def invitation_accept(
    *, token: str, username: str, password: str, language: str = settings.LANGUAGE_CODE
) -> User:
    """Creates the liaison's account from a usable invitation, exactly once, in the language the
    liaison accepted it in."""
    invitation = Invitation.objects.select_for_update().filter(token_hash=token_hash(token)).first()
    if invitation is None or not invitation.is_usable:
        raise ValidationError(_("This invitation has been used or has expired."))
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(_("An account with this e-mail address already exists."))
    validate_password(
        password, User(username=username, email=invitation.email, full_name=invitation.full_name)
    )
    user = user_create(
        username=username,
        email=invitation.email,
        full_name=invitation.full_name,
        roles=[Role.TRIBUNAL_LIAISON],
        clearance=Clearance.RESTRICTED,
        password=password,
        actor=None,
        preferred_language=language,
    )
    PartnerMembership.objects.create(user=user, organisation=invitation.organisation)
    invitation.used_at = timezone.now()
    invitation.user = user
    invitation.save(update_fields=["used_at", "user"])
    audit_record(
        actor=user,
        action="partner.invitation_accepted",
        target=invitation.organisation,
        details={"invitation": invitation.pk},
    )
    return user


# --- Case sharing -----------------------------------------------------------------------------


@transaction.atomic
def share_create(
    *,
    case: Case,
    actor: User,
    organisation: PartnerOrganisation,
    agreement: Agreement,
    legal_basis_note: str,
    level: str,
    expires_on: date,
) -> CaseShare:
    """Shares a case with a partner under an agreement in force, until ``expires_on``."""
    if P.CHANGE not in case_permissions(actor, case):
        raise PermissionDenied
    today = timezone.localdate()
    if agreement.organisation_id != organisation.pk:
        raise ValidationError({"agreement": _("This agreement is with another organisation.")})
    if not agreement.is_active(today):
        raise ValidationError({"agreement": _("There is no agreement in force with this partner.")})
    if expires_on < today:
        raise ValidationError({"expires_on": _("The expiry date is in the past.")})
    if agreement.valid_until and expires_on > agreement.valid_until:
        raise ValidationError(
            {
                "expires_on": _("The share cannot outlast the agreement (it ends on %(date)s).")
                % {"date": agreement.valid_until.isoformat()}
            }
        )
    if not legal_basis_note.strip():
        raise ValidationError({"legal_basis_note": _("Record the legal basis of this sharing.")})
    if CaseShare.objects.active_on(today).filter(case=case, organisation=organisation).exists():
        raise ValidationError({"organisation": _("This case is already shared with this partner.")})
    share = CaseShare.objects.create(
        case=case,
        organisation=organisation,
        agreement=agreement,
        legal_basis_note=legal_basis_note,
        level=level,
        expires_on=expires_on,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="case.shared",
        target=share,
        details={
            "organisation": organisation.pk,
            "level": level,
            "expires_on": expires_on.isoformat(),
        },
    )
    for membership in organisation.members.select_related("user").filter(user__is_active=True):
        notification_send(
            user=membership.user,
            title=gettext_lazy("A case has been shared with your organisation"),
            url=reverse("partners:shared_detail", args=[share.pk]),
        )
    return share


@transaction.atomic
def share_revoke(*, share: CaseShare, actor: User) -> None:
    if P.CHANGE not in case_permissions(actor, share.case):
        raise PermissionDenied
    if share.revoked_at is not None:
        raise ValidationError(_("This share has already been revoked."))
    share.revoked_at = timezone.now()
    share.revoked_by = actor
    share.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(actor=actor, action="case.share_revoked", target=share)
