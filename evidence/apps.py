from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = _("Evidence")

    def ready(self) -> None:
        # Custody and collection events join the case timeline.
        from cases import activity, timeline
        from evidence.selectors import audit_rows_hidden, timeline_entries

        timeline.register(timeline_entries)
        # Rows of the case's activity about items and files withheld from the reader.
        activity.register(audit_rows_hidden)
