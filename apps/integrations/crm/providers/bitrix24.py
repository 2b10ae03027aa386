"""Bitrix24 through an incoming webhook (`https://{portal}.bitrix24.ru/rest/{user}/{token}/`;
https://apidocs.bitrix24.ru/). Every method is `POST {webhook}{method}.json` with JSON params;
the answer is `{"result": …}` or `{"error": …, "error_description": …}`. Deals carry our
reference in ORIGINATOR_ID/ORIGIN_ID, Bitrix24's own fields for records synced from outside.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

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

CRM = "Bitrix24"
ORIGINATOR = "fastlead"
AUTH_ERRORS = {
    "NO_AUTH_FOUND",
    "INVALID_CREDENTIALS",
    "WRONG_AUTH_TYPE",
    "INVALID_TOKEN",
    "EXPIRED_TOKEN",
    "INSUFFICIENT_SCOPE",
    "ACCESS_DENIED",
}
MULTI_FIELDS = ("PHONE", "EMAIL")


def portal_of(webhook_url: str) -> str:
    return (urlsplit(webhook_url).hostname or "").lower()


def _moment(value) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.now(tz=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Bitrix24Client:
    def __init__(self, credentials: dict):
        self.webhook = credentials.get("webhook_url", "").rstrip("/") + "/"

    def call(self, method: str, params: dict | None = None):
        response = request(CRM, "POST", f"{self.webhook}{method}.json", json=params or {})
        body = json_of(CRM, response)
        error = str(body.get("error") or "") if isinstance(body, dict) else ""
        if response.status_code in (401, 403) or error.upper() in AUTH_ERRORS:
            raise auth_error(CRM, error)
        if response.status_code >= 400 or error:
            detail = body.get("error_description", "") if isinstance(body, dict) else ""
            raise ProviderError(
                f"{CRM}: {method} {response.status_code} {error} {detail}".strip()[:300],
                permanent=True,
                code="not_found" if "not found" in str(detail).lower() else "rejected",
                status=response.status_code,
            )
        return body.get("result")

    def pipelines(self) -> list[Pipeline]:
        result = self.call("crm.category.list", {"entityTypeId": 2}) or {}
        categories = result.get("categories", []) if isinstance(result, dict) else []
        if not any(int(c.get("id", -1)) == 0 for c in categories):
            categories = [{"id": 0, "name": "Общая"}, *categories]
        pipelines = []
        for category in categories:
            cid = int(category["id"])
            entity = "DEAL_STAGE" if cid == 0 else f"DEAL_STAGE_{cid}"
            stages = self.call(
                "crm.status.list", {"filter": {"ENTITY_ID": entity}, "order": {"SORT": "ASC"}}
            )
            pipelines.append(
                Pipeline(
                    id=str(cid),
                    name=category.get("name", ""),
                    stages=[Stage(id=s["STATUS_ID"], name=s.get("NAME", "")) for s in stages or []],
                )
            )
        return pipelines

    def find_deal(self, marker: str) -> DealRef | None:
        found = self.call(
            "crm.deal.list",
            {
                "filter": {"ORIGINATOR_ID": ORIGINATOR, "ORIGIN_ID": marker},
                "select": ["ID", "CONTACT_ID"],
            },
        )
        for deal in found or []:
            return DealRef(str(deal["ID"]), str(deal.get("CONTACT_ID") or ""))
        return None

    def create_deal(
        self,
        draft: DealDraft,
        *,
        contact_id: str = "",
        on_contact: Callable[[str], None] | None = None,
    ) -> DealRef:
        """`crm.contact.add` (unless the contact exists from an earlier try), `crm.deal.add`."""
        if not contact_id:
            contact_id = str(self.call("crm.contact.add", {"fields": self._contact(draft)}))
            if on_contact is not None:
                on_contact(contact_id)
        fields = {
            "TITLE": draft.title,
            "CATEGORY_ID": int(draft.pipeline_id),
            "STAGE_ID": draft.stage_id,
            "CONTACT_ID": int(contact_id),
            "ORIGINATOR_ID": ORIGINATOR,
            "ORIGIN_ID": draft.marker,
            **{k: str(v) for k, v in draft.deal.items()},
        }
        deal_id = self.call("crm.deal.add", {"fields": fields})
        return DealRef(str(deal_id), contact_id)

    def _contact(self, draft: DealDraft) -> dict:
        fields = {}
        for key, value in draft.contact.items():
            if key in MULTI_FIELDS:
                fields[key] = [{"VALUE": str(value), "VALUE_TYPE": "WORK"}]
            else:
                fields[key] = str(value)
        return fields

    def move_deal(self, deal_id: str, *, pipeline_id: str, stage_id: str) -> datetime:
        self.call("crm.deal.update", {"id": int(deal_id), "fields": {"STAGE_ID": stage_id}})
        return self.deal_state(deal_id).modified_at

    def deal_state(self, deal_id: str) -> DealState:
        deal = self.call("crm.deal.get", {"id": int(deal_id)}) or {}
        return DealState(
            deal_id=str(deal.get("ID", deal_id)),
            pipeline_id=str(deal.get("CATEGORY_ID", "")),
            stage_id=str(deal.get("STAGE_ID", "")),
            modified_at=_moment(deal.get("DATE_MODIFY")),
        )
