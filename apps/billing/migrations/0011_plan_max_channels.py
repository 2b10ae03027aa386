from django.db import migrations, models

# Channels a plan allows (None = unlimited); these plans include the channels tool.
CHANNELS = {"trial": 2, "start": 2, "pro": 5, "business": None}


def seed_settings(data: dict) -> None:
    """This migration's settings on one seed plan's fields (also used after a `flush`:
    apps.billing.selectors.plans_ensure_seeded)."""
    code = data["code"]
    if code not in CHANNELS:
        return
    data["max_channels"] = CHANNELS[code]
    tools = list(data.get("tools") or [])
    if "*" not in tools and "channels" not in tools:
        data["tools"] = [*tools, "channels"]


def seed_channel_limits(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for plan in Plan.objects.filter(code__in=CHANNELS):
        data = {"code": plan.code, "tools": plan.tools}
        seed_settings(data)
        plan.max_channels, plan.tools = data["max_channels"], data["tools"]
        plan.save(update_fields=["max_channels", "tools"])


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0010_rub_plans_hard_limit_honest_descriptions"),
    ]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="max_channels",
            field=models.PositiveIntegerField(
                blank=True, help_text="Empty = unlimited.", null=True, verbose_name="channels"
            ),
        ),
        migrations.RunPython(seed_channel_limits, migrations.RunPython.noop),
    ]
