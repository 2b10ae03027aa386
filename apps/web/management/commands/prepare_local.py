"""Prepare this checkout to run (./scripts/run): the database, the static files, the demo data,
each only when needed, in one process, printing how long each stage took.

- Database: migrated only when a migration is unapplied or a table is missing. On the
  embedded default without Stripe, dj-stripe has no migrations (fastlead/settings.py) and its
  tables are made from its models (`--run-syncdb`); once a Stripe key arrives, those tables
  are already at dj-stripe's latest migration, which is then recorded as applied (faked).
- Static files: collected only when a source file (ours or a package's) changed since the
  last collection (a digest stamped in STATIC_ROOT).
- Demo data: `seed_demo` (idempotent; it prints the demo logins).
"""

import hashlib
import os
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

STATIC_STAMP = ".sources.sha256"


def tables_missing() -> set[str]:
    existing = set(connection.introspection.table_names())
    return set(connection.introspection.django_table_names()) - existing


def djstripe_needs_fake(executor: MigrationExecutor) -> bool:
    """dj-stripe's tables exist (made from its models) but none of its migrations is recorded."""
    if "djstripe" in executor.loader.unmigrated_apps:
        return False
    recorded = any(app == "djstripe" for app, _name in executor.loader.applied_migrations)
    return not recorded and "djstripe_customer" in connection.introspection.table_names()


def static_sources_digest() -> str:
    """Paths, sizes and modification times of every file collectstatic would copy."""
    digest = hashlib.sha256()
    for finder in get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


class Command(BaseCommand):
    help = "Migrate, collect static files and load the demo data, each only when needed."

    @contextmanager
    def stage(self, name: str):
        """Headings and times go to stderr: stdout is seed_demo's logins, which scripts/run
        repeats once the servers are up."""
        started = time.monotonic()
        self.note(self.style.MIGRATE_HEADING(f"==> {name}"))
        yield
        self.note(f"    {name}: {time.monotonic() - started:.1f} s")

    def note(self, text: str) -> None:
        self.stderr.write(text, style_func=str)

    def handle(self, *args, **options):
        with self.stage("Database"):
            self.database()
        with self.stage("Static files"):
            self.static_files()
        with self.stage("Demo data"):
            call_command("seed_demo", stdout=self.stdout)

    def database(self) -> None:
        executor = MigrationExecutor(connection)
        if djstripe_needs_fake(executor):
            self.note("dj-stripe's tables were made from its models: recording its migrations")
            call_command("migrate", "djstripe", fake=True, verbosity=0)
            executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        missing = tables_missing()
        if not plan and not missing:
            self.note("    up to date")
            return
        self.note(f"    applying {len(plan)} migrations ({len(missing)} tables missing)")
        call_command("migrate", interactive=False, run_syncdb=True, verbosity=0)

    def static_files(self) -> None:
        stamp = Path(settings.STATIC_ROOT) / STATIC_STAMP
        digest = static_sources_digest()
        if stamp.is_file() and stamp.read_text().strip() == digest:
            self.note("    up to date")
            return
        call_command("collectstatic", interactive=False, verbosity=0)
        stamp.write_text(digest + "\n")
