"""How Celery tasks enter a tenant's scope.

A tenant task takes the tenant id as its first argument (JSON-friendly), loads the tenant and
runs the body inside `tenant_scope`, so every tenant-owned query in it is scoped. Late acks and
reject-on-worker-lost come from settings: a killed worker's task is re-delivered, so bodies
must be idempotent.
"""

from functools import wraps

from celery import shared_task

from apps.tenants.models import Tenant
from apps.tenants.scoping import tenant_scope


def tenant_task(*task_args, **task_options):
    """`@tenant_task` (or `@tenant_task(**celery_options)`) on `def f(tenant, ...)`; call it
    as `f.delay(tenant_id, ...)`. The queue comes from settings.CELERY_TASK_ROUTES.

    A tenant deleted meanwhile makes the task a no-op (nothing left to do for it).
    """
    task_options.setdefault("acks_late", True)

    def decorator(func):
        @wraps(func)
        def run(tenant_id, *args, **kwargs):
            tenant = Tenant.objects.filter(pk=tenant_id).first()
            if tenant is None:
                return None
            with tenant_scope(tenant):
                return func(tenant, *args, **kwargs)

        return shared_task(**task_options)(run)

    if task_args and callable(task_args[0]):
        return decorator(task_args[0])
    return decorator
