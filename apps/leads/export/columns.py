"""What a lead export contains: one column list for CSV, XLSX and background files."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _

TEXT = "text"  # free text typed by people
CODE = "code"  # machine values: codes, e-mails, phones, references (CSV guards both kinds)
INT = "int"
DATETIME = "datetime"
BOOL = "bool"


@dataclass(frozen=True)
class Column:
    header: str
    path: str
    kind: str
    width: int = 16


COLUMNS: tuple[Column, ...] = (
    Column(_("ID"), "id", INT, 10),
    Column(_("Created"), "created_at", DATETIME, 20),
    Column(_("Name"), "name", TEXT, 24),
    Column(_("E-mail"), "email", CODE, 28),
    Column(_("Phone"), "phone", CODE, 16),
    Column(_("Company"), "company", TEXT, 24),
    Column(_("Role"), "role", TEXT),
    Column(_("Industry"), "industry", TEXT),
    Column(_("Company size"), "company_size", TEXT, 12),
    Column(_("Website"), "website", TEXT, 24),
    Column(_("Status"), "status", CODE, 12),
    Column(_("Source"), "source", CODE, 12),
    Column(_("Lead type"), "lead_type", TEXT),
    Column(_("Lead id"), "external_id", CODE),
    Column(_("Customer"), "customer__external_ref", CODE),
    Column(_("Product"), "product__external_ref", CODE),
    Column(_("List"), "list__name", TEXT),
    Column(_("Assigned to"), "assigned_to__email", CODE, 24),
    Column(_("Consent to processing"), "consent_processing", BOOL, 10),
    Column(_("Consent to processing at"), "consent_processing_at", DATETIME, 20),
    Column(_("Consent to marketing"), "consent_marketing", BOOL, 10),
    Column(_("Consent to marketing at"), "consent_marketing_at", DATETIME, 20),
    Column(_("Consent source"), "consent_source", TEXT, 24),
    Column(_("Updated"), "updated_at", DATETIME, 20),
)


def headers() -> list[str]:
    return [str(column.header) for column in COLUMNS]


def export_values(queryset: QuerySet) -> QuerySet:
    """The queryset reduced to the export columns, aliased c0…cN (related rows joined)."""
    return queryset.values(**{f"c{i}": F(column.path) for i, column in enumerate(COLUMNS)})


def export_sql(queryset: QuerySet) -> tuple[str, tuple]:
    """SQL and parameters of `export_values(queryset)`, compiled now: the caller can run it
    after the request's tenant scope has ended."""
    return export_values(queryset).query.sql_with_params()
