"""The audit trail: one append-only, hash-chained row per sensitive read, download or change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from custos.append_only import Guard

if TYPE_CHECKING:
    from accounts.models import User

GENESIS_HASH = "0" * 64


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def visible_to(self, user: User) -> AuditEventQuerySet:
        """The whole trail for unit admins; nothing for anyone else."""
        if user.is_authenticated and user.has_role(Role.UNIT_ADMIN):
            return self.all()
        return self.none()


class AuditEvent(models.Model):
    """Who did what to which object, from where and when.

    Rows are written by :func:`audit.services.audit_record` inside the caller's transaction
    and are never changed afterwards, except once, by the sealer, which fills ``chain_seq``,
    ``prev_hash`` and ``hash`` (the database enforces both rules, see ``AUDIT_GUARD``).
    ``target_label`` never holds a protected identity: targets provide ``audit_label``.
    """

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # A copy of the username, so the chain never depends on a row of another table.
    actor_username = models.CharField(_("actor username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_label = models.CharField(_("target"), max_length=255, blank=True)
    # Plain integer until the cases app exists; it becomes a foreign key there.
    case_id = models.BigIntegerField(_("case"), null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    chain_seq = models.BigIntegerField(_("chain position"), null=True, blank=True, unique=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True)
    hash = models.CharField(_("hash"), max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["id"], condition=Q(chain_seq__isnull=True), name="audit_unsealed_idx"
            ),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_time_idx"),
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_username or '-'} {self.action}"

    @property
    def is_sealed(self) -> bool:
        return self.chain_seq is not None


class AuditChain(models.Model):
    """The head of the audit hash chain: a single row, locked only while sealing."""

    seq = models.BigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    sealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit chain head")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="audit_chain_singleton")]

    def __str__(self) -> str:
        return f"audit chain at {self.seq}"


# Every column but the seal columns; used by the migration that installs the triggers.
AUDIT_IMMUTABLE_COLUMNS = (
    "id",
    "created_at",
    "actor_id",
    "actor_username",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "case_id",
    "ip",
    "user_agent",
    "details",
)
AUDIT_GUARD = Guard(
    table="audit_auditevent",
    immutable=AUDIT_IMMUTABLE_COLUMNS,
    seal=("chain_seq", "prev_hash", "hash"),
    seal_marker="chain_seq",
    seal_check="length(NEW.hash) = 64 AND length(NEW.prev_hash) = 64",
)
