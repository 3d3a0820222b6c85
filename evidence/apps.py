from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = _("Evidence")

    def ready(self) -> None:
        # Custody and collection events join the case timeline.
        from cases import timeline
        from evidence.selectors import timeline_entries

        timeline.register(timeline_entries)
