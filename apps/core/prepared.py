"""Cursors whose statements PostgreSQL can keep prepared.

Django binds parameters on the client (SQL literals), so PostgreSQL parses and plans every
statement anew; on the hottest paths (a widget submission) planning against the leads table's
many indexes cost more than running the statements. A cursor bound on the server lets psycopg
prepare a statement it sees repeatedly (DATABASES OPTIONS `prepare_threshold`). Statements run
through it are not seen by Django's query logging: keep them to the few hot paths.
"""

from __future__ import annotations

import psycopg
from django.db import connection, transaction


def prepared_cursor():
    """A server-bound psycopg cursor on Django's connection (PostgreSQL); Django's own cursor
    elsewhere. Use it as a context manager; placeholders are %s either way."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def one_statement_committed(sql: str, params: list, *, durable: bool = True):
    """Run one statement in a transaction of its own and return its first row, in one round
    trip on PostgreSQL (BEGIN, the statement and COMMIT sent as one simple query, bound on the
    client: cheaper here than a pipeline). `durable=False` lets the COMMIT return before the
    WAL reaches the disk (for a reservation that a crash may lose, never for money). Inside
    a transaction it runs as part of it."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    connection.ensure_connection()
    conn = connection.connection
    with psycopg.ClientCursor(conn) as cursor:
        statement = cursor.mogrify(sql, params)
        flush = "" if durable else "SET LOCAL synchronous_commit TO off; "
        try:
            cursor.execute(f"BEGIN; {flush}{statement}; COMMIT")
        except BaseException:
            connection.errors_occurred = True  # Django then checks the connection is usable
            conn.rollback()  # a failed statement left the transaction open: end it
            raise
        return _first_row_of_statement(cursor)


def _first_row_of_statement(cursor):
    """The statement's rows are in the result before COMMIT's (the last one)."""
    while cursor.nextset():
        if cursor.description is not None:
            return cursor.fetchone()
    return None
