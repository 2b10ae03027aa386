"""./scripts/run's preparation (manage.py prepare_local) does only what is needed: a migrated
database is left alone, static files are collected again only when a source changed."""

import io
import os
from unittest import mock

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.web.management.commands import prepare_local

pytestmark = pytest.mark.django_db


def _command() -> prepare_local.Command:
    return prepare_local.Command(stdout=io.StringIO(), stderr=io.StringIO())


def test_a_migrated_database_is_left_alone():
    assert prepare_local.tables_missing() == set()
    assert not prepare_local.djstripe_needs_fake(MigrationExecutor(connection))
    command = _command()
    with mock.patch.object(prepare_local, "call_command") as call:
        command.database()
    call.assert_not_called()
    assert "up to date" in command.stderr.getvalue()


def test_static_files_are_collected_again_only_after_a_change(settings, tmp_path):
    settings.STATIC_ROOT = str(tmp_path / "static")
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "extra.css").write_text("a { color: red }")
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, str(sources)]
    # the first run collects and stamps
    _command().static_files()
    assert (tmp_path / "static" / "extra.css").is_file()
    assert (tmp_path / "static" / prepare_local.STATIC_STAMP).is_file()
    # a second run with nothing changed does not collect
    with mock.patch.object(prepare_local, "call_command") as call:
        _command().static_files()
    call.assert_not_called()
    # a changed source is collected again (edited a little later: collectstatic itself
    # compares whole seconds)
    changed = sources / "extra.css"
    changed.write_text("a { color: blue }")
    later = changed.stat().st_mtime + 5
    os.utime(changed, (later, later))
    _command().static_files()
    assert (tmp_path / "static" / "extra.css").read_text() == "a { color: blue }"
