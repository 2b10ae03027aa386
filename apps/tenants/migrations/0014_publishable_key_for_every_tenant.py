"""Every tenant has a live publishable key from its creation on (`tenant_create` issues it), so
readers never create one. Issue it now for the tenants created before that, which got theirs on
the first read (or have none yet). Reversing leaves the keys: they may already be on sites."""

import secrets

from django.db import migrations


def _new_key() -> str:
    # The format of apps.tenants.keys._new_publishable_key, frozen here as migrations should be.
    return "pk_" + secrets.token_urlsafe(18).replace("-", "x").replace("_", "y")


def forwards(apps, schema_editor):
    Tenant = apps.get_model("tenants", "Tenant")
    PublishableKey = apps.get_model("tenants", "PublishableKey")
    with_key = PublishableKey.objects.filter(revoked_at__isnull=True).values("tenant_id")
    missing = Tenant.objects.exclude(pk__in=with_key).values_list("pk", flat=True)
    PublishableKey.objects.bulk_create(
        [PublishableKey(tenant_id=tenant_id, key=_new_key()) for tenant_id in missing.iterator()],
        batch_size=500,
    )


class Migration(migrations.Migration):
    dependencies = [("tenants", "0013_audit_actions_of_issue_21")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
