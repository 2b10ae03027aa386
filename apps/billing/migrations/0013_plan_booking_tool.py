from django.db import migrations

# Meeting booking (apps.booking) is a tool: the rouble plans include it (the trial has every
# tool already); the e-mail plans in euros do not.
BOOKING_PLANS = ("start", "pro", "business")


def seed_settings(data: dict) -> None:
    """This migration's settings on one seed plan's fields (also used after a `flush`:
    apps.billing.selectors.plans_ensure_seeded)."""
    if data["code"] not in BOOKING_PLANS:
        return
    tools = list(data.get("tools") or [])
    if "*" not in tools and "booking" not in tools:
        data["tools"] = [*tools, "booking"]


def add_booking(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for plan in Plan.objects.filter(code__in=BOOKING_PLANS):
        data = {"code": plan.code, "tools": plan.tools}
        seed_settings(data)
        if data["tools"] != plan.tools:
            plan.tools = data["tools"]
            plan.save(update_fields=["tools"])


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0012_merge_channel_limits"),
    ]

    operations = [migrations.RunPython(add_booking, migrations.RunPython.noop)]
