from django.apps import AppConfig


class HyroPageConfig(AppConfig):
    name = "apps.hyropage"
    label = "hyropage"
    verbose_name = "HyroPage"
