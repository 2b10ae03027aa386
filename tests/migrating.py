"""Migrating the test database back to an old layout and forward again, cheaply.

No migration of this project depends on dj-stripe, but a migration graph that holds dj-stripe's
~100 migrations makes every executor run slow on PostgreSQL: the executor replays the state of
every applied migration before it moves (45-90 s a run). The graph built here leaves dj-stripe
out (as the SQLite test database always does, conftest.py): its tables stay as they are and its
models count as they stand, so a run takes seconds on both databases.
"""

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import override_settings

WITHOUT = ("djstripe",)


def executor() -> MigrationExecutor:
    """A fresh executor (it reads what is applied now) over the graph without dj-stripe."""
    modules = {**getattr(settings, "MIGRATION_MODULES", {}), **dict.fromkeys(WITHOUT)}
    with override_settings(MIGRATION_MODULES=modules):
        return MigrationExecutor(connection)


def migrate(targets):
    """Migrate to `targets`; the historical models of the state reached."""
    return executor().migrate(targets).apps


def latest() -> list[tuple[str, str]]:
    """The newest migration of every app of the graph: the current schema."""
    return executor().loader.graph.leaf_nodes()
