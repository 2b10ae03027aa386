from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeaturesConfig(AppConfig):
    name = "apps.features"
    label = "features"
    verbose_name = _("Tools and release flags")
