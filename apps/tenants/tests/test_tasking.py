import pytest

from apps.tenants.models import Membership
from apps.tenants.tasking import tenant_task


@tenant_task
def count_members_task(tenant):
    return Membership.objects.count()


@pytest.mark.django_db
def test_tenant_task_runs_inside_its_tenant_scope(
    tenant, other_tenant, admin_user, outsider, operator_user
):
    assert count_members_task.delay(str(tenant.id)).get() == 2
    assert count_members_task.delay(str(other_tenant.id)).get() == 1


@pytest.mark.django_db
def test_tenant_task_for_a_deleted_tenant_does_nothing():
    assert count_members_task.delay("00000000-0000-0000-0000-000000000000").get() is None


def test_tenant_task_acks_late_and_keeps_its_name():
    assert count_members_task.acks_late is True
    assert count_members_task.name.endswith("test_tasking.count_members_task")
