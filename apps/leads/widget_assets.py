"""Where the widget's images live: the `widget_assets` storage alias (S3 through
django-storages when configured, local files otherwise; see apps/leads/widget_uploads.py)."""

from django.conf import settings
from django.core.files.storage import storages

STORAGE_ALIAS = "widget_assets"


def asset_storage():
    return storages[STORAGE_ALIAS]


def asset_url(name: str) -> str:
    """The image's absolute address (a widget on another site needs the host), or ""."""
    if not name:
        return ""
    url = asset_storage().url(name)
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url
