"""The WSGI module gunicorn preloads in its master (gunicorn.conf.py `preload_app`)."""

import contextvars

import pytest
from django.db import connection
from django.urls import clear_url_caches, get_resolver

from apps.tenants.models import Tenant
from fastlead import wsgi


@pytest.mark.django_db(transaction=True)
def test_warming_up_leaves_no_database_connection_for_the_forked_workers_to_share():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("Django never closes an in-memory SQLite database; CI runs PostgreSQL")
    Tenant.objects.exists()  # something opened a connection in the master
    assert connection.connection is not None
    wsgi.warm_up()
    assert connection.connection is None


def test_warming_up_loads_the_urlconfs_a_first_request_would():
    wsgi.warm_up()
    assert "url_patterns" in get_resolver().__dict__  # the cached property is filled


def test_after_warming_up_requests_leave_the_context_nearly_empty(client):
    """Django's URL resolvers each mark "populating" in a context variable of their own; made
    during a request, the ~180 of them stay in the worker's context, and structlog walks every
    context variable on every log line. The warm-up builds them in a context of its own."""
    clear_url_caches()  # as in a fresh worker: nothing built yet
    context = contextvars.Context()
    context.run(wsgi.warm_up)
    # when requests come (the staff-MFA middleware reverses admin URLs on each one)
    for _ in range(2):
        assert context.run(client.get, "/healthz").status_code == 200
    # then a handful of variables at most, none per resolver
    assert sum(1 for var in context if var.name == "asgiref.local") < 10
