"""Cursors whose statements PostgreSQL can keep prepared.

Django binds parameters on the client (SQL literals), so PostgreSQL parses and plans every
statement anew; on the hottest paths (a widget submission) planning against the leads table's
many indexes cost more than running the statements. A cursor bound on the server lets psycopg
prepare a statement it sees repeatedly (DATABASES OPTIONS `prepare_threshold`). Statements run
through it are not seen by Django's query logging: keep them to the few hot paths.
"""

from __future__ import annotations

import psycopg
from django.db import NotSupportedError, connection


def prepared_cursor():
    """A server-bound psycopg cursor on Django's connection (PostgreSQL); Django's own cursor
    elsewhere. Use it as a context manager; placeholders are %s either way."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


# The first CTE of a statement run by `one_statement_committed`, named in its FROM: sets how
# its transaction commits (a function call inside the statement, so that the statement can go
# alone, without a BEGIN … COMMIT around it).
COMMIT_MODE = (
    "commit_mode AS MATERIALIZED (SELECT set_config('synchronous_commit', "
    "coalesce(%s, current_setting('synchronous_commit')), true))"
)


def one_statement_committed(sql: str, params: list, *, durable: bool = True):
    """Run one statement as a transaction of its own and return its first row: one round
    trip, the statement bound on the server and prepared at once, so that PostgreSQL plans it
    once per connection (planning the widget's hold-and-queue statement anew cost more than
    running it). `sql` starts with `WITH {COMMIT_MODE}` and names `commit_mode` in its FROM;
    `durable=False` then lets the commit return before the WAL reaches the disk (for a
    reservation that a crash may lose, never for money). Inside a transaction it runs as part
    of it, committed as that transaction is. PostgreSQL only."""
    head = f"WITH {COMMIT_MODE}"
    if not sql.startswith(head) or "commit_mode" not in sql[len(head) :]:
        raise ValueError("the statement starts WITH COMMIT_MODE and names commit_mode")
    if connection.vendor != "postgresql":
        raise NotSupportedError("one_statement_committed runs on PostgreSQL")
    outside = not connection.in_atomic_block
    params = ["off" if outside and not durable else None, *params]
    with prepared_cursor() as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchone()
