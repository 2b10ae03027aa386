from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from apps.core.schedules import register_schedules
from apps.enrichment.schedules import SCHEDULES


class EnrichmentConfig(AppConfig):
    name = "apps.enrichment"
    label = "enrichment"
    verbose_name = _("AI enrichment")

    def ready(self) -> None:
        # Registries of the apps below (leads' lead-page panels, ai's offline heuristics) are
        # filled once the app registry is ready; models may not be imported before that.
        from apps.enrichment import contributions

        contributions.register()
        register_schedules(*SCHEDULES)
        from apps.enrichment import personal_data  # the models: once the registry is ready

        personal_data.register()  # where a person's data lives (apps/core/personal_data.py)
        # The services queue the tasks by name (services/queue.py): registered in every process.
        from apps.enrichment import tasks  # noqa: F401
