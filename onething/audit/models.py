"""The audit trail. Append-only: the model and its querysets refuse updates and deletes,
nothing in the application offers them, and triggers refuse them as well (PostgreSQL:
migration oversight.0003; SQLite: migration oversight.0004, onething/audit/append_only.py).
A user who acted cannot be deleted (PROTECT): deactivate them instead.

The model was first part of oversight and moved here without moving its rows: the table
keeps its name (``oversight_auditevent``, with the triggers on it), and the migrations
oversight.0005 and audit.0001 only move it in Django's state."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditImmutableError(Exception):
    """Raised when something tries to change or delete an audit event."""


class AuditEventQuerySet(models.QuerySet):
    """Bulk writes that would change or remove events are refused like the instance ones."""

    def update(self, **kwargs):
        raise AuditImmutableError("audit events are append-only / 审计记录只能追加")

    def delete(self):
        raise AuditImmutableError("audit events are append-only / 审计记录只能追加")

    delete.queryset_only = True

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditImmutableError("audit events are append-only / 审计记录只能追加")

    def _update(self, values):
        raise AuditImmutableError("audit events are append-only / 审计记录只能追加")

    def _raw_delete(self, using):
        raise AuditImmutableError("audit events are append-only / 审计记录只能追加")


class AuditEvent(models.Model):
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("操作人")
    )
    action = models.CharField(_("动作"), max_length=64, db_index=True)
    case_number = models.CharField(_("办件编号"), max_length=64, blank=True, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象"), max_length=64, blank=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        db_table = "oversight_auditevent"  # the table of before the move (see above)
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.case_number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AuditImmutableError("audit events are append-only / 审计记录只能追加")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutableError("audit events are append-only / 审计记录只能追加")
