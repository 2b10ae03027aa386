from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SiteConfig(AppConfig):
    """The public site: landing, pricing, features, use cases, blog, legal pages, SEO files."""

    name = "apps.site"
    label = "site"
    verbose_name = _("Public site")
