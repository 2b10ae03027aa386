"""Cursors whose statements PostgreSQL can keep prepared.

Django binds parameters on the client (SQL literals), so PostgreSQL parses and plans every
statement anew; on the hottest paths (a widget submission) planning against the leads table's
many indexes cost more than running the statements. A cursor bound on the server lets psycopg
prepare a statement it sees repeatedly (DATABASES OPTIONS `prepare_threshold`). Statements run
through it are not seen by Django's query logging: keep them to the few hot paths.
"""

from __future__ import annotations

import psycopg
from django.db import connection


def prepared_cursor():
    """A server-bound psycopg cursor on Django's connection (PostgreSQL); Django's own cursor
    elsewhere. Use it as a context manager; placeholders are %s either way."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)
