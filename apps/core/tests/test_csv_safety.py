"""One rule for every CSV the product writes (OWASP's CSV injection rule), in Python and SQL."""

import csv
import io

import pytest
from django.db import connection

from apps.core import csv_safety

ATTACKS = [
    "=cmd|' /C calc'!A0@x.test",
    '=HYPERLINK("http://evil","click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "+7 916 123-45-67",
    "-",
]
LEFT_ALONE = ["", "plain", "ivan@example.com", "-5", "+79161234567", "12.50", "-0,75", "a=b"]


@pytest.mark.parametrize("value", ATTACKS)
def test_formula_like_text_gets_a_leading_quote(value):
    assert csv_safety.csv_safe(value) == "'" + value


@pytest.mark.parametrize("value", LEFT_ALONE)
def test_plain_text_and_plain_numbers_stay_as_they_are(value):
    assert csv_safety.csv_safe(value) == value


def test_values_that_are_not_text_stay_as_they_are():
    assert csv_safety.csv_safe(-5) == -5
    assert csv_safety.csv_safe(None) is None


def test_the_writer_guards_every_row_header_included():
    buffer = io.StringIO()
    writer = csv_safety.writer(buffer, lineterminator="\n")
    writer.writerow(["=header", "ok"])
    writer.writerows([["@x", -1, None], ["+1", "+cmd|x"]])

    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert rows == [["'=header", "ok"], ["'@x", "-1", ""], ["+1", "'+cmd|x"]]


@pytest.mark.django_db
def test_the_sql_rule_matches_the_python_rule():
    if connection.vendor != "postgresql":
        pytest.skip("the SQL form runs in PostgreSQL's COPY exports only")
    with connection.cursor() as cursor:
        for value in ATTACKS + LEFT_ALONE:
            sql = f"SELECT {csv_safety.csv_safe_sql('v')} FROM (SELECT %s::text AS v) AS t"
            cursor.execute(sql, [value])
            assert cursor.fetchone()[0] == csv_safety.csv_safe(value), repr(value)
