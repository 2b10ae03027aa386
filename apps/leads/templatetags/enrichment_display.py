"""Display helpers of the enrichment pages: `{{ run.price_amount|money:run.price_currency }}`."""

from django import template
from django.template.defaultfilters import floatformat

from apps.core.money import Money
from apps.leads.models import Lead

register = template.Library()


@register.filter
def money(amount, currency: str) -> str:
    """Minor units and a currency → "1 000,00 RUB" in the active language's format."""
    if amount in (None, "") or not currency:
        return ""
    value = Money(int(amount), str(currency))
    return f"{floatformat(value.to_decimal(), '2g')} {value.currency}"


@register.filter
def undetermined(fields) -> list[str]:
    """The fields of an enrichment result left null (not determined)."""
    if not isinstance(fields, dict):
        return []
    return [name for name, value in fields.items() if value is None]


@register.filter
def lead_field_label(name: str) -> str:
    """A lead field's name as people read it ("company_size" → "Company size")."""
    from django.core.exceptions import FieldDoesNotExist
    from django.utils.text import capfirst

    try:
        return capfirst(Lead._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return capfirst(str(name).replace("_", " "))
