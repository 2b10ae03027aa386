from django.apps import AppConfig


class EnrichmentConfig(AppConfig):
    name = "apps.enrichment"
    label = "enrichment"
    verbose_name = "AI enrichment"

    def ready(self) -> None:
        from apps.enrichment import contributions

        contributions.register()
