"""manage.py billing_report: from the seed's JSON in memory, and from the database."""

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.leads.ingestion import ingest_leads

SAMPLE = Path(__file__).resolve().parents[2] / "leads/fixtures/seed_002_sample.json"


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("billing_report", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_sample_report_from_the_json_file():
    out, _err = run("--period", "2024-04", "--input", str(SAMPLE))
    assert "Customer customer-123 · USD" in out
    assert "billed 22.00 of 22.00" in out and "billed 7.00 of 7.00" in out
    assert "lead uuid-1 · product-abc · Website Visit · billed 12.00" in out
    assert "TOTAL USD: billed 29.00 of 29.00" in out
    assert "uuid-4" not in out  # May


def test_one_customer_as_json_and_csv():
    out, _err = run(
        "--period",
        "2024-04",
        "--input",
        str(SAMPLE),
        "--customer",
        "customer-456",
        "--format",
        "json",
    )
    body = json.loads(out)
    assert [r["customer"]["ref"] for r in body] == ["customer-456"]
    assert body[0]["totals"]["billed"] == 700
    csv_out, _err = run("--period", "2024-05", "--input", str(SAMPLE), "--format", "csv")
    assert csv_out.splitlines()[1].startswith("2024-05,customer-123,product-xyz")


def test_bad_input_is_reported_clearly(tmp_path):
    items = json.loads(SAMPLE.read_text())
    items[0]["actions"][0]["engagement_level"] = "Extreme"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(items))
    out, err = run("--period", "2024-04", "--input", str(bad))
    assert "lead #0 rejected" in err and "engagement_level" in err
    assert "TOTAL USD: billed 17.00" in out  # uuid-2 and uuid-3 only
    with pytest.raises(CommandError, match="period"):
        run("--period", "04-2024", "--input", str(SAMPLE))
    with pytest.raises(CommandError, match="customer"):
        run("--period", "2024-04", "--input", str(SAMPLE), "--customer", "nobody")
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(CommandError, match="cannot read"):
        run("--period", "2024-04", "--input", str(tmp_path / "x.json"))


def test_an_empty_month_prints_an_empty_report():
    out, _err = run("--period", "2023-01", "--input", str(SAMPLE))
    assert "the report is empty" in out


@pytest.mark.django_db
def test_from_the_database_gives_the_same_bill(tenant):
    ingest_leads(tenant=tenant, items=json.loads(SAMPLE.read_text()), source="api")
    out, _err = run("--period", "2024-04", "--tenant", tenant.slug)
    memory, _err = run("--period", "2024-04", "--input", str(SAMPLE))
    assert "TOTAL USD: billed 29.00 of 29.00" in out
    strip = [ln for ln in out.splitlines() if ln.startswith(("  ", "TOTAL"))]
    strip_memory = [ln for ln in memory.splitlines() if ln.startswith(("  ", "TOTAL"))]
    assert [_no_ids(ln) for ln in strip] == [_no_ids(ln) for ln in strip_memory]
    with pytest.raises(CommandError, match="tenant"):
        run("--period", "2024-04", "--tenant", "nope")


def _no_ids(line: str) -> str:
    return re.sub(r"#\d+\s*", "#", line)
