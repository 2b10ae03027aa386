"""manage.py billing_report --period 2024-04 --input sample.json [--customer customer-123]
manage.py billing_report --period 2024-04 --tenant acme [--customer customer-123]

Prints the pay-per-lead report of a month: from a seed-002-shaped JSON file, computed in
memory with the default card (nothing is written), or from the database with the tenant's
cards (an open month is recomputed, a closed one read back frozen). `--format json|csv` prints
the API's JSON or CSV instead of text.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from apps.core import csv_safety
from apps.core.errors import ApplicationError
from apps.payperlead import engine, memory, presenters, selectors, services
from apps.payperlead.forms import parse_period
from apps.tenants.models import Tenant
from apps.tenants.scoping import tenant_scope


class Command(BaseCommand):
    help = "Print the pay-per-lead billing report of a month (from a JSON file or the database)."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="YYYY-MM, e.g. 2024-04")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--input", help="A JSON file of leads in seed 002's format.")
        source.add_argument("--tenant", help="A tenant's slug: report from the database.")
        parser.add_argument("--customer", help="Only this customer (its reference).")
        parser.add_argument("--format", choices=("text", "json", "csv"), default="text")
        parser.add_argument(
            "--language", choices=[code for code, _name in settings.LANGUAGES], default="en"
        )

    def handle(self, *args, **options):
        try:
            period = parse_period(options["period"])
        except ApplicationError as exc:
            raise CommandError(f"--period: {exc.fields['period'][0]}") from None
        with translation.override(options["language"]):
            if options["input"]:
                reports, leads, source = self._from_file(options, period)
            else:
                reports, leads, source = self._from_database(options, period)
            self._print(reports, leads, period, source, options)

    def _from_file(self, options, period):
        path = Path(options["input"])
        try:
            items = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"--input: cannot read {path}: {exc}") from None
        if not isinstance(items, list):
            raise CommandError("--input: the file must hold a JSON list of leads")
        data = memory.load(items)
        for index, errors in data.rejected:
            self.stderr.write(f"lead #{index} rejected: {json.dumps(errors, ensure_ascii=False)}")
        if data.without_customer:
            self.stderr.write(f"{data.without_customer} lead(s) without customer_id: not billed")
        customer = options["customer"]
        if customer and not any(c.external_ref == customer for c in data.customers.values()):
            raise CommandError(f"--customer: no customer {customer!r} in {path}")
        try:
            reports = memory.reports(data, period, customer)
        except (engine.CurrencyMismatch, engine.NoCard) as exc:
            raise CommandError(str(exc)) from None
        card = memory.default_book().cards[0]

        def price(amount: int) -> str:
            return presenters.major(amount, card.currency)

        source = (
            f"{path.name}, in memory; default card: High {price(card.values['High'])}, "
            f"Medium {price(card.values['Medium'])}, Low {price(card.values['Low'])} "
            f"{card.currency}, cap {price(card.cap)} per person, customer, product and month"
        )
        return reports, data.leads, source

    def _from_database(self, options, period):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"--tenant: no tenant {options['tenant']!r}")
        with tenant_scope(tenant):
            try:
                reports = self._compute(tenant, period, options["customer"])
            except ApplicationError as exc:
                raise CommandError(exc.message) from None
            ids = {ln.lead_id for r in reports for ln in r.lines or []}
            leads = selectors.leads_by_id(tenant, ids)
        return reports, leads, f"tenant {tenant.slug}, database"

    def _compute(self, tenant, period, ref):
        if ref:
            customer = selectors.customer_get(tenant, ref)
            if customer is None:
                raise CommandError(f"--customer: no customer {ref!r}")
            return [services.report_compute(tenant=tenant, customer=customer, period=period)]
        return [
            services.report_compute(tenant=tenant, customer=item.customer, period=period)
            for item in services.report_compute_all(tenant=tenant, period=period)
        ]

    def _print(self, reports, leads, period, source, options) -> None:
        fmt = options["format"]
        if fmt == "json":
            body = [presenters.report_json(r, leads) for r in reports]
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
        elif fmt == "csv":
            writer = csv_safety.writer(self.stdout, lineterminator="\n")
            writer.writerow(presenters.CSV_HEADER)
            for report in reports:
                writer.writerows(presenters.csv_rows(report, leads))
        else:
            text = presenters.text_report(
                reports, period, source=source, leads=leads, in_memory=bool(options["input"])
            )
            self.stdout.write("\n".join(text))
