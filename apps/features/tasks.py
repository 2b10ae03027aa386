"""Beat entry points of the tool switch."""

from celery import shared_task

from apps.features.services import tenant_features_expire


@shared_task(acks_late=True, ignore_result=True)
def expire_tenant_features_task() -> int:
    """Remove overrides past their expiry and invalidate those tenants' entitlements."""
    return tenant_features_expire()
