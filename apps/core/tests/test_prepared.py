"""apps/core/prepared.py: cursors bound on the server, and one statement committed alone."""

import pytest
from django.db import connection

from apps.core.prepared import one_statement_committed, prepared_cursor

pytestmark = pytest.mark.django_db(transaction=True)


def test_one_statement_returns_its_first_row_and_commits():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE prepared_probe (n integer)")
    try:
        row = one_statement_committed(
            "INSERT INTO prepared_probe (n) VALUES (%s), (%s) RETURNING n", [7, 8], durable=False
        )
        assert row == (7,)
        assert one_statement_committed("SELECT n FROM prepared_probe WHERE n > %s", [99]) is None
        connection.close()  # a new connection sees it: it was committed
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM prepared_probe")
            assert cursor.fetchone() == (2,)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE prepared_probe")


def test_a_failed_statement_leaves_the_connection_usable():
    with pytest.raises(Exception, match="no_such_table"):
        one_statement_committed("SELECT n FROM no_such_table WHERE n = %s", [0], durable=False)
    assert not connection.in_atomic_block
    with prepared_cursor() as cursor:
        cursor.execute("SELECT %s", [3])
        assert cursor.fetchone() == (3,)
