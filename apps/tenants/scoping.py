"""The one tenant-scoping mechanism.

Every tenant-owned model uses `TenantScopedManager` as its default manager. Queries through it
are filtered to the tenant of the current scope (set by the middleware for a request, by the
API base view after authentication, by `tenant_scope()` in tasks and commands). A query made
outside any scope raises `TenantScopeMissing` instead of returning every tenant's rows.
A deliberate cross-tenant read says so by name: `Model.objects.unscoped()` or, for the staff
console, `unscoped_scope()`.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:  # type hints only: tenants.models builds its models on this module
    from apps.tenants.models import Tenant


class TenantScopeMissing(RuntimeError):
    """A tenant-owned model was queried with no tenant scope: fail closed."""


class _AllTenants:
    def __repr__(self) -> str:
        return "<all tenants>"


ALL_TENANTS = _AllTenants()
_current: ContextVar[object | None] = ContextVar("fastlead_tenant_scope", default=None)


def current_tenant() -> Tenant | None:
    value = _current.get()
    return None if value is ALL_TENANTS else value


def set_scope(value) -> object:
    return _current.set(value)


def reset_scope(token) -> None:
    _current.reset(token)


@contextmanager
def tenant_scope(tenant: Tenant):
    """Run the block scoped to one tenant (tasks, commands, tests)."""
    token = _current.set(tenant)
    try:
        yield tenant
    finally:
        _current.reset(token)


@contextmanager
def unscoped_scope():
    """Deliberately see every tenant's rows (staff console, migrations of data, ops)."""
    token = _current.set(ALL_TENANTS)
    try:
        yield
    finally:
        _current.reset(token)


class TenantScopedQuerySet(models.QuerySet):
    def for_tenant(self, tenant: Tenant) -> TenantScopedQuerySet:
        # No tenant is no rows: never `tenant IS NULL`, which would match the records kept
        # after a company was deleted (invoices and payments, apps/payments/services/retention.py).
        return self.filter(tenant=tenant) if tenant is not None else self.none()


class TenantScopedManager(models.Manager.from_queryset(TenantScopedQuerySet)):
    def get_queryset(self) -> TenantScopedQuerySet:
        scope = _current.get()
        queryset = super().get_queryset()
        if scope is ALL_TENANTS:
            return queryset
        if scope is None:
            raise TenantScopeMissing(
                f"{self.model.__name__} queried outside a tenant scope; use tenant_scope(), "
                f"for_tenant() or unscoped() on purpose"
            )
        return queryset.filter(tenant=scope)

    def _check_write(self, objs) -> None:
        scope = _current.get()
        if scope is None or scope is ALL_TENANTS:
            return
        for obj in objs:
            if obj.tenant_id != scope.pk:
                raise TenantScopeMissing(
                    f"{self.model.__name__} for another tenant written inside {scope!r}'s scope"
                )

    def create(self, **kwargs):
        """Writes name their tenant explicitly, so they need no scope; inside a scope they
        must not write another tenant's rows."""
        obj = self.model(**kwargs)
        self._check_write([obj])
        obj.save(force_insert=True, using=self.db)
        return obj

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        self._check_write(objs)
        return super().get_queryset().bulk_create(objs, *args, **kwargs)

    def unscoped(self) -> TenantScopedQuerySet:
        """Every tenant's rows, on purpose (staff, ops, cross-tenant user lookups)."""
        return super().get_queryset()

    def for_tenant(self, tenant: Tenant) -> TenantScopedQuerySet:
        return super().get_queryset().for_tenant(tenant)


class TenantOwnedModel(models.Model):
    """Base for every tenant-owned row: a `tenant` foreign key and the scoped manager.

    A model whose rows outlive their company (accounting records: invoices, payments, refunds)
    redeclares `tenant` as nullable; a row without a tenant is in no tenant's scope and only
    the staff console (`unscoped()`) sees it."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")

    objects = TenantScopedManager()

    class Meta:
        abstract = True
