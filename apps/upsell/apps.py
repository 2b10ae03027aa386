from django.apps import AppConfig


class UpsellConfig(AppConfig):
    name = "apps.upsell"
    label = "upsell"
    verbose_name = "Upsell radar"
