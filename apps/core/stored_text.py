"""Texts stored as codes and rendered in the reader's language (billing history, …).

A history row written while a Russian-speaking admin clicked must read in English for an
English-speaking one. So a stored text keeps its English source (the msgid, marked with
`gettext_noop` so that makemessages finds it) and its parameters, and is translated when
it is shown:

    message = stored_text(gettext_noop("%(plan)s paused"), plan=plan.name)
    row.data["text"] = message.as_data()           # {"msgid": …, "params": {…}}
    render_stored_text(row.data["text"])            # "Про paused" / "Про приостановлен"

`StoredText` is a `str` (rendered in the active language when it is made), so code that
only wants the text keeps working. Parameters may be plain values, other stored texts,
lazy translations (a choice's label), `Money`, dates or datetimes: each is rendered in the
reader's language too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext

from apps.core.money import Money, format_money

DATE_FORMAT = "j E Y"


class StoredText(str):
    """A translatable text with its parameters (see the module docstring)."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, params: dict[str, Any] | None = None) -> StoredText:
        encoded = {name: _encode(value) for name, value in (params or {}).items()}
        data = {"msgid": str(msgid), "params": encoded}
        obj = super().__new__(cls, render_stored_text(data))
        obj.msgid = str(msgid)
        obj.params = encoded
        return obj

    def as_data(self) -> dict[str, Any]:
        return {"msgid": self.msgid, "params": self.params}


def stored_text(msgid: str, **params: Any) -> StoredText:
    """A text to store: `msgid` is the English source marked with `gettext_noop`."""
    return StoredText(msgid, params)


def _encode(value: Any) -> Any:
    if isinstance(value, StoredText):
        return {"text": value.as_data()}
    if isinstance(value, Promise):
        args = getattr(value, "_args", ())
        if len(args) == 1 and isinstance(args[0], str):
            return {"lazy": args[0]}  # gettext_lazy("…"): translated when shown
        return str(value)
    if isinstance(value, Money):
        return {"money": [value.amount, value.currency]}
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return value
    return str(value)


def _decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "text" in value:
        return render_stored_text(value["text"])
    if "lazy" in value:
        return gettext(value["lazy"])
    if "money" in value:
        amount, currency = value["money"]
        return format_money(int(amount), str(currency))
    if "datetime" in value:
        moment = parse_datetime(value["datetime"])
        return formats.date_format(timezone.localtime(moment), DATE_FORMAT) if moment else ""
    if "date" in value:
        day = parse_date(value["date"])
        return formats.date_format(day, DATE_FORMAT) if day else ""
    return str(value)


def render_stored_text(data: Any) -> str:
    """The stored text in the active language (its source text if the parameters do not
    fit the translation)."""
    if not isinstance(data, dict) or "msgid" not in data:
        return str(data or "")
    msgid = str(data["msgid"])
    params = {name: _decode(value) for name, value in (data.get("params") or {}).items()}
    try:
        return gettext(msgid) % params if params else gettext(msgid)
    except (KeyError, TypeError, ValueError):
        return msgid % params if params else msgid
