"""Beat schedules of tools (registered in apps/features/wiring.py, installed by
apps/core/schedules.py)."""

from apps.core.schedules import Schedule

SCHEDULES = (
    Schedule(
        "features: expire overrides",
        "apps.features.tasks.expire_tenant_features_task",
        5,
        "default",
    ),
)
