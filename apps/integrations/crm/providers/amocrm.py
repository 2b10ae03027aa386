"""amoCRM (API v4, OAuth 2.0 authorization code; https://www.amocrm.ru/developers/).

Calls go to `https://{subdomain}.amocrm.ru` (settings.AMOCRM_ACCOUNT_URL, a template, so that
tests point it at a local fake). The access token lives a day: it is refreshed ahead of its
expiry and on a 401, and the new pair is handed to `on_tokens` to be stored (encrypted). An
empty list is a 204 without a body in amoCRM, not an empty `_embedded`.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings

from apps.core.errors import ProviderError
from apps.integrations.crm.providers.base import (
    DealDraft,
    DealRef,
    DealState,
    Pipeline,
    Stage,
    auth_error,
    json_of,
    request,
)

CRM = "amoCRM"
REFRESH_AHEAD = 120  # seconds before expiry
# Contact fields sent as they are; the rest are field codes (PHONE, EMAIL, POSITION) or ids.
PLAIN_CONTACT = ("name", "first_name", "last_name")
ENUM_CODES = {"PHONE": "WORK", "EMAIL": "WORK"}


def account_url(subdomain: str) -> str:
    return settings.AMOCRM_ACCOUNT_URL.format(subdomain=subdomain).rstrip("/")


def authorize_url(*, client_id: str, state: str) -> str:
    """Where the admin grants access (amoCRM's own page lets them pick the account)."""
    query = urlencode({"client_id": client_id, "state": state, "mode": "post_message"})
    return f"{settings.AMOCRM_OAUTH_URL}?{query}"


def _tokens(body: dict, base: dict) -> dict:
    if not body.get("access_token") or not body.get("refresh_token"):
        raise ProviderError(f"{CRM}: token answer without tokens", code="bad_answer")
    return {
        **base,
        "access_token": body["access_token"],
        "refresh_token": body["refresh_token"],
        "expires_at": int(time.time()) + int(body.get("expires_in") or 86400),
    }


def _token_call(subdomain: str, payload: dict) -> dict:
    response = request(CRM, "POST", f"{account_url(subdomain)}/oauth2/access_token", json=payload)
    if response.status_code in (400, 401, 403):
        raise auth_error(CRM, str(json_of(CRM, response).get("hint", ""))[:100])
    if response.status_code != 200:
        raise ProviderError(f"{CRM}: token answer {response.status_code}", permanent=True)
    return json_of(CRM, response)


def exchange_code(
    *, subdomain: str, client_id: str, client_secret: str, code: str, redirect_uri: str
) -> dict:
    """The authorization code for the first token pair (the credentials to store)."""
    base = {"client_id": client_id, "client_secret": client_secret, "redirect_uri": redirect_uri}
    body = _token_call(subdomain, {**base, "grant_type": "authorization_code", "code": code})
    return _tokens(body, base)


def _moment(value) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError):
        return datetime.now(tz=UTC)


class AmoCrmClient:
    def __init__(
        self,
        subdomain: str,
        credentials: dict,
        *,
        on_tokens: Callable | None = None,
        reload: Callable[[], dict] | None = None,
    ):
        self.subdomain = subdomain
        self.base = account_url(subdomain)
        self.credentials = dict(credentials)
        self.on_tokens = on_tokens
        self.reload = reload  # the stored credentials now (another worker may have refreshed)

    # --- tokens ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """A new token pair. amoCRM takes each refresh token once: when another worker has
        already refreshed (the stored pair differs from ours and is fresh), its pair is used."""
        if self.reload is not None:
            stored = self.reload()
            fresh = int(stored.get("expires_at") or 0) > time.time() + REFRESH_AHEAD
            if fresh and stored.get("access_token") != self.credentials.get("access_token"):
                self.credentials = dict(stored)
                return
        creds = self.credentials
        if not creds.get("refresh_token"):
            raise auth_error(CRM, "no refresh token")
        payload = {
            "client_id": creds.get("client_id", ""),
            "client_secret": creds.get("client_secret", ""),
            "redirect_uri": creds.get("redirect_uri", ""),
            "grant_type": "refresh_token",
            "refresh_token": creds["refresh_token"],
        }
        self.credentials = _tokens(_token_call(self.subdomain, payload), creds)
        if self.on_tokens is not None:
            self.on_tokens(self.credentials)

    def _call(self, method: str, path: str, **kwargs):
        if int(self.credentials.get("expires_at") or 0) < time.time() + REFRESH_AHEAD:
            self.refresh()
        response = self._send(method, path, **kwargs)
        if response.status_code == 401:  # revoked or expired early: one refresh, one retry
            self.refresh()
            response = self._send(method, path, **kwargs)
            if response.status_code == 401:
                raise auth_error(CRM)
        if response.status_code == 204:
            return None
        if response.status_code == 404:
            raise ProviderError(
                f"{CRM}: {path} not found", permanent=True, code="not_found", status=404
            )
        body = json_of(CRM, response)
        if response.status_code >= 400:
            detail = body.get("detail") or body.get("title") if isinstance(body, dict) else ""
            raise ProviderError(
                f"{CRM}: {response.status_code} {detail or ''}".strip()[:300],
                permanent=True,
                code="rejected",
                status=response.status_code,
            )
        return body

    def _send(self, method: str, path: str, **kwargs):
        headers = {"Authorization": f"Bearer {self.credentials.get('access_token', '')}"}
        return request(CRM, method, f"{self.base}{path}", headers=headers, **kwargs)

    # --- the interface --------------------------------------------------------------------

    def pipelines(self) -> list[Pipeline]:
        body = self._call("GET", "/api/v4/leads/pipelines") or {}
        return [
            Pipeline(
                id=str(p["id"]),
                name=p.get("name", ""),
                stages=[
                    Stage(id=str(s["id"]), name=s.get("name", ""))
                    for s in sorted(
                        p.get("_embedded", {}).get("statuses", []),
                        key=lambda s: s.get("sort", 0),
                    )
                ],
            )
            for p in (body.get("_embedded", {}).get("pipelines", []))
        ]

    def find_deal(self, marker: str) -> DealRef | None:
        body = self._call("GET", "/api/v4/leads", params={"query": marker, "with": "contacts"})
        # amoCRM's search is full-text: "FL-12" also finds "FL-123"; the name must end with ours.
        for lead in (body or {}).get("_embedded", {}).get("leads", []):
            if re.search(rf"(^|\s){re.escape(marker)}$", (lead.get("name") or "").strip()):
                contacts = lead.get("_embedded", {}).get("contacts", [])
                return DealRef(str(lead["id"]), str(contacts[0]["id"]) if contacts else "")
        return None

    def create_deal(self, draft: DealDraft, *, contact_id: str = "", on_contact=None) -> DealRef:
        """Contact and deal in one call (`POST /api/v4/leads/complex`); a "note" goes after."""
        deal = {
            "name": draft.title,
            "pipeline_id": int(draft.pipeline_id),
            "status_id": int(draft.stage_id),
        }
        custom, tags, note = [], [], ""
        for key, value in draft.deal.items():
            if key == "tag":
                tags.append({"name": str(value)[:100]})
            elif key == "note":
                note = str(value)
            elif key == "price":
                deal["price"] = int(value) if str(value).isdigit() else 0
            elif key.startswith("cf_"):
                custom.append({"field_id": int(key[3:]), "values": [{"value": str(value)}]})
        if custom:
            deal["custom_fields_values"] = custom
        embedded = {"contacts": [self._contact(draft.contact)]}
        if tags:
            embedded["tags"] = tags
        deal["_embedded"] = embedded
        body = self._call("POST", "/api/v4/leads/complex", json=[deal])
        created = (body or [{}])[0]
        ref = DealRef(str(created["id"]), str(created.get("contact_id") or ""))
        if note:
            self._note(ref.deal_id, note)
        return ref

    def _contact(self, fields: dict) -> dict:
        contact, custom = {}, []
        for key, value in fields.items():
            if key in PLAIN_CONTACT:
                contact[key] = str(value)[:250]
            elif key.startswith("cf_"):
                custom.append({"field_id": int(key[3:]), "values": [{"value": str(value)}]})
            else:
                item = {"value": str(value)}
                if key in ENUM_CODES:
                    item["enum_code"] = ENUM_CODES[key]
                custom.append({"field_code": key, "values": [item]})
        if custom:
            contact["custom_fields_values"] = custom
        return contact

    def _note(self, deal_id: str, text: str) -> None:
        """Best effort: a deal without its comment is better than a second deal."""
        note = [{"note_type": "common", "params": {"text": text[:5000]}}]
        with contextlib.suppress(ProviderError):
            self._call("POST", f"/api/v4/leads/{deal_id}/notes", json=note)

    def move_deal(self, deal_id: str, *, pipeline_id: str, stage_id: str) -> datetime:
        payload = {"pipeline_id": int(pipeline_id), "status_id": int(stage_id)}
        body = self._call("PATCH", f"/api/v4/leads/{int(deal_id)}", json=payload) or {}
        return _moment(body.get("updated_at"))

    def deal_state(self, deal_id: str) -> DealState:
        body = self._call("GET", f"/api/v4/leads/{int(deal_id)}")
        if not body:
            raise ProviderError(f"{CRM}: deal not found", permanent=True, code="not_found")
        return DealState(
            deal_id=str(body["id"]),
            pipeline_id=str(body.get("pipeline_id", "")),
            stage_id=str(body.get("status_id", "")),
            modified_at=_moment(body.get("updated_at")),
        )
