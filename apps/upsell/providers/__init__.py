"""Call platforms: `get_call_platform()` answers HYROCALL when its key is set, else the
labelled offline platform."""

from django.conf import settings

from apps.upsell.providers.base import CallPlatform
from apps.upsell.providers.hyrocall import HyrocallPlatform
from apps.upsell.providers.offline import OfflineCallPlatform


def get_call_platform() -> CallPlatform:
    key = getattr(settings, "HYROCALL_API_KEY", "")
    if not key:
        return OfflineCallPlatform()
    return HyrocallPlatform(
        api_key=key,
        base_url=settings.HYROCALL_BASE_URL,
        webhook_secret=settings.HYROCALL_WEBHOOK_SECRET,
    )
