"""apps/core/prepared.py: cursors bound on the server, and one statement committed alone."""

import pytest
from django.db import connection, transaction

from apps.core.prepared import COMMIT_MODE, one_statement_committed, prepared_cursor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

COMMIT_SETTING = f"WITH {COMMIT_MODE} SELECT current_setting('synchronous_commit') FROM commit_mode"


@pytest.fixture
def probe_table():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE prepared_probe (n integer)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE prepared_probe")


def test_one_statement_returns_its_first_row_and_commits(probe_table):
    insert = (
        f"WITH {COMMIT_MODE}, new AS (INSERT INTO prepared_probe (n) VALUES (%s), (%s) "
        "RETURNING n) SELECT n FROM new, commit_mode ORDER BY n"
    )
    assert one_statement_committed(insert, [7, 8], durable=False) == (7,)
    nothing = f"WITH {COMMIT_MODE} SELECT n FROM prepared_probe, commit_mode WHERE n > %s"
    assert one_statement_committed(nothing, [99]) is None
    connection.close()  # a new connection sees it: it was committed
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM prepared_probe")
        assert cursor.fetchone() == (2,)


def test_the_commit_waits_for_the_flush_unless_told_not_to():
    assert one_statement_committed(COMMIT_SETTING, [], durable=False) == ("off",)
    assert one_statement_committed(COMMIT_SETTING, []) == ("on",)
    with connection.cursor() as cursor:  # set for that statement's transaction only
        cursor.execute("SELECT current_setting('synchronous_commit')")
        assert cursor.fetchone() == ("on",)


def test_inside_a_transaction_it_leaves_the_commit_to_that_transaction():
    with transaction.atomic():
        assert one_statement_committed(COMMIT_SETTING, [], durable=False) == ("on",)


def test_a_statement_must_name_its_commit_mode():
    with pytest.raises(ValueError, match="commit_mode"):
        one_statement_committed("SELECT 1", [])
    with pytest.raises(ValueError, match="commit_mode"):  # defined but never run
        one_statement_committed(f"WITH {COMMIT_MODE} SELECT 1", [])


def test_a_failed_statement_leaves_the_connection_usable():
    with pytest.raises(Exception, match="no_such_table"):
        one_statement_committed(
            f"WITH {COMMIT_MODE} SELECT n FROM no_such_table, commit_mode WHERE n = %s", [0]
        )
    assert not connection.in_atomic_block
    with prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int", [3])
        assert cursor.fetchone() == (3,)
