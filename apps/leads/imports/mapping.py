"""Which column of a file holds which lead field: the choices, a guess from the column names
(Russian and English), validation, and turning one row into an ingestion item."""

from __future__ import annotations

import re
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.errors import ValidationFailed

# (field, label); `field` is also the key of the ingestion item unless ITEM_KEYS says otherwise.
FIELDS: tuple[tuple[str, str], ...] = (
    ("email", gettext_lazy("E-mail")),
    ("phone", gettext_lazy("Phone")),
    ("name", gettext_lazy("Name")),
    ("company", gettext_lazy("Company")),
    ("role", gettext_lazy("Role / position")),
    ("industry", gettext_lazy("Industry")),
    ("company_size", gettext_lazy("Company size")),
    ("website", gettext_lazy("Website")),
    ("lead_type", gettext_lazy("Lead type")),
    ("customer", gettext_lazy("Customer (reference)")),
    ("product", gettext_lazy("Product (reference)")),
    ("external_id", gettext_lazy("Lead id (yours)")),
    ("created_at", gettext_lazy("Created at")),
)
FIELD_KEYS = frozenset(key for key, _label in FIELDS)
ITEM_KEYS = {"customer": "customer_id", "product": "product_id"}
IDENTITY_FIELDS = ("email", "phone", "external_id")
MULTI_FIELDS = frozenset({"name"})  # first name + last name columns are joined

# Normalized column names (see `_norm`) that mean a field.
# fmt: off
SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": (
        "email", "e mail", "mail", "email address", "почта", "эл почта", "электронная почта",
        "емейл", "имейл", "емэйл", "адрес почты", "e mail адрес",
    ),
    "phone": (
        "phone", "phone number", "tel", "telephone", "mobile", "mobile phone", "cell",
        "телефон", "тел", "мобильный", "мобильный телефон", "номер телефона", "моб телефон",
    ),
    "name": (
        "name", "full name", "fullname", "contact", "contact name", "first name", "last name",
        "имя", "фио", "ф и о", "контакт", "контактное лицо", "фамилия", "имя фамилия",
        "фамилия имя", "фамилия имя отчество",
    ),
    "company": (
        "company", "company name", "organization", "organisation", "account", "компания",
        "организация", "название компании", "фирма",
    ),
    "role": ("role", "position", "job title", "title", "job", "должность", "роль", "позиция"),
    "industry": ("industry", "sector", "vertical", "отрасль", "индустрия", "сфера"),
    "company_size": (
        "company size", "size", "employees", "headcount", "размер компании", "размер",
        "сотрудников", "число сотрудников", "численность",
    ),
    "website": ("website", "site", "web", "url", "web site", "сайт", "веб сайт", "вебсайт"),
    "lead_type": ("lead type", "type", "тип лида", "тип"),
    "customer": (
        "customer", "customer id", "client", "client id", "заказчик", "клиент", "id клиента",
        "код клиента",
    ),
    "product": ("product", "product id", "продукт", "товар", "услуга", "id продукта"),
    "external_id": (
        "lead id", "external id", "id", "лид id", "id лида", "внешний id", "номер лида",
        "код лида",
    ),
    "created_at": (
        "created", "created at", "date", "created date", "дата", "дата создания", "создан",
        "дата заявки", "дата обращения",
    ),
}
# fmt: on
_BY_NAME = {name: key for key, names in SYNONYMS.items() for name in names}
_SEPARATORS = re.compile(r"[\s_\-.:/()*#№]+")
_DATE_FORMATS = (
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%y",
    "%d/%m/%Y",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
)


def field_label(key: str) -> str:
    return str(dict(FIELDS).get(key, key))


def _norm(header: str) -> str:
    return _SEPARATORS.sub(" ", header.lower().replace("ё", "е")).strip()


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """{column index: field} from the column names; each field once (names may repeat)."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for index, header in enumerate(headers):
        key = _BY_NAME.get(_norm(header))
        if key is None or (key in taken and key not in MULTI_FIELDS):
            continue
        mapping[str(index)] = key
        taken.add(key)
    return mapping


def validate_mapping(mapping: dict[str, str], column_count: int) -> dict[str, str]:
    """Drop unmapped columns; refuse unknown fields, a field on two columns, no identity."""
    clean: dict[str, str] = {}
    seen: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for index, key in mapping.items():
        if not key:
            continue
        if key not in FIELD_KEYS or not str(index).isdigit() or int(index) >= column_count:
            errors[f"col_{index}"] = [_("Unknown field.")]
        elif key in seen and key not in MULTI_FIELDS:
            errors[f"col_{index}"] = [
                _("“%(field)s” is already taken by another column.") % {"field": field_label(key)}
            ]
        else:
            seen[key] = index
            clean[str(index)] = key
    if not errors and not any(key in seen for key in IDENTITY_FIELDS):
        raise ValidationFailed(
            _(
                "Choose the column with the e-mail, the phone or your lead id: "
                "a lead needs at least one of them."
            ),
            code="missing_columns",
        )
    if errors:
        raise ValidationFailed(_("Check the column mapping."), fields=errors)
    return clean


def parse_moment(value: str) -> str:
    """A date as people type it (31.12.2024 10:00, 2024-12-31…) → ISO 8601 in the current
    time zone; anything else is passed on for ingestion to reject with its own message."""
    value = value.strip()
    moment = None
    for fmt in _DATE_FORMATS:
        try:
            moment = datetime.strptime(value, fmt)
            break
        except ValueError:
            continue
    if moment is None:
        try:
            moment = parse_datetime(value)
        except ValueError:
            moment = None
    if moment is None:
        return value
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.isoformat()


def row_item(cells: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """One file row → an item for `ingest_leads` (empty cells left out)."""
    item: dict[str, str] = {}
    for index, key in sorted(mapping.items(), key=lambda pair: int(pair[0])):
        position = int(index)
        value = cells[position].strip() if position < len(cells) else ""
        if not value:
            continue
        target = ITEM_KEYS.get(key, key)
        if key == "created_at":
            value = parse_moment(value)
        elif key in MULTI_FIELDS and target in item:
            value = f"{item[target]} {value}"
        item[target] = value
    return item
