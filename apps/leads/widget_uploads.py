"""The widget's images (logo, operator avatar): checked by content, resized, stored.

Stored through the `widget_assets` storage alias (fastlead/settings.py): django-storages' S3
backend when WIDGET_ASSETS_S3_BUCKET is set (any S3-compatible service), else local files
under MEDIA_ROOT/widget served by `widget_asset` below. The images are public by nature: the
widget shows them on the tenant's site.
"""

from __future__ import annotations

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
