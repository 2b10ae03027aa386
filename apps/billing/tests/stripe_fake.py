"""A small fake Stripe API for tests: a threaded HTTP server on 127.0.0.1 that the real
`stripe` SDK (and dj-stripe's syncs) talk to.

It answers the paths our code and dj-stripe use with objects shaped like Stripe's documented
JSON (API version 2026-05-27.dahlia: periods on subscription items, invoice.parent,
invoice.payments), keeps them in memory, honours `Idempotency-Key` (a repeated POST returns
the first answer), records every request, and can fail a path on demand (`fail`).
Helpers build what Stripe would do next (`checkout_complete`, `subscription_renew`) and the
Event that announces it (`event`), and `signed_headers` signs a webhook body as Stripe does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_VERSION = "2026-05-27.dahlia"
ACCOUNT_ID = "acct_1FakeFastLead00"
MONTH = 30 * 24 * 3600


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def _nest(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding (`a[b][0][c]=v`) back into nested dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+|\[\]", key)
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "[]":
                part = str(len(node))
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(root)


def _listify(node):
    if isinstance(node, dict):
        node = {k: _listify(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


def _bool(value) -> bool:
    return str(value).lower() == "true"


@dataclass
class Recorded:
    method: str
    path: str
    params: dict
    headers: dict


@dataclass
class FakeStripe:
    objects: dict[str, dict] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    idempotent: dict[str, tuple[int, dict]] = field(default_factory=dict)
    failures: list[list] = field(default_factory=list)  # [method, path regex, status, times]
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- server ----------------------------------------------------------------------------

    def start(self) -> FakeStripe:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _serve(self, method: str):
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                pairs = parse_qsl(split.query, keep_blank_values=True)
                pairs += parse_qsl(body, keep_blank_values=True)
                status, payload = fake.handle(
                    method,
                    split.path,
                    _nest(pairs),
                    {k.lower(): v for k, v in self.headers.items()},
                )
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", _new_id("req"))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def do_DELETE(self):
                self._serve("DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def fail(self, method: str, path_regex: str, status: int = 500, times: int = 1) -> None:
        self.failures.append([method, path_regex, status, times])

    def calls(self, method: str, path_regex: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and re.fullmatch(path_regex, r.path)]

    # --- dispatch --------------------------------------------------------------------------

    def handle(self, method: str, path: str, params: dict, headers: dict) -> tuple[int, dict]:
        with self.lock:
            self.requests.append(Recorded(method, path, params, headers))
            for failure in self.failures:
                if failure[3] > 0 and failure[0] == method and re.fullmatch(failure[1], path):
                    failure[3] -= 1
                    return failure[2], _error("api_error", "Fake outage", status=failure[2])
            key = headers.get("idempotency-key") if method == "POST" else None
            if key and (method, path, key) in self.idempotent:
                return self.idempotent[(method, path, key)]
            status, payload = self._route(method, path, params)
            if key and status < 500:
                self.idempotent[(method, path, key)] = (status, payload)
            return status, payload

    def _route(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        if path == "/v1/account" and method == "GET":
            return 200, self.account()
        if path == "/v1/checkout/sessions" and method == "POST":
            return self._session_create(params)
        if path == "/v1/billing_portal/sessions" and method == "POST":
            return self._portal_create(params)
        if path == "/v1/billing/meter_events" and method == "POST":
            return self._meter_event(params)
        if path == "/v1/refunds" and method == "POST":
            return self._refund_create(params)
        if path == "/v1/products" and method == "POST":
            return self._product_create(params)
        if path == "/v1/prices" and method == "POST":
            return self._price_create(params)
        if path == "/v1/prices" and method == "GET":
            keys = params.get("lookup_keys") or []
            data = [
                p
                for p in self.objects.values()
                if p.get("object") == "price" and p.get("lookup_key") in keys and p["active"]
            ]
            return 200, {"object": "list", "data": data, "has_more": False, "url": "/v1/prices"}
        nested = re.fullmatch(r"/v1/[a-z_]+/([A-Za-z0-9_]+)/([a-z_]+)", path)
        if nested and method == "GET" and nested.group(1) in self.objects:
            # A sub-collection (e.g. /v1/products/<id>/features): empty here.
            return 200, {"object": "list", "data": [], "has_more": False, "url": path}
        match = re.fullmatch(r"/v1/(?:[a-z_]+/)*[a-z_]+/([A-Za-z0-9_]+)", path)
        if match:
            obj = self.objects.get(match.group(1))
            if obj is None:
                return 404, _error(
                    "invalid_request_error",
                    f"No such object: '{match.group(1)}'",
                    code="resource_missing",
                    status=404,
                )
            if method == "POST":
                _update(obj, params)
            return 200, obj
        return 404, _error("invalid_request_error", f"Unrecognized request URL ({path}).")

    # --- objects ---------------------------------------------------------------------------

    def add(self, obj: dict) -> dict:
        self.objects[obj["id"]] = obj
        return obj

    def account(self) -> dict:
        return {
            "id": ACCOUNT_ID,
            "object": "account",
            "business_profile": {"name": "Fast Lead (test)", "url": None},
            "business_type": "company",
            "charges_enabled": True,
            "country": "DE",
            "created": 1700000000,
            "default_currency": "eur",
            "details_submitted": True,
            "email": "billing@fastlead.example",
            "metadata": {},
            "payouts_enabled": True,
            "settings": {"dashboard": {"display_name": "Fast Lead", "timezone": "Etc/UTC"}},
            "type": "standard",
        }

    def _session_create(self, params: dict) -> tuple[int, dict]:
        items = params.get("line_items") or []
        price = self.objects.get(items[0]["price"]) if items else None
        if price is None:
            return 400, _error(
                "invalid_request_error", "No such price", code="resource_missing", status=400
            )
        if params.get("customer") and params["customer"] not in self.objects:
            return 400, _error(
                "invalid_request_error",
                f"No such customer: '{params['customer']}'",
                code="resource_missing",
                status=400,
                param="customer",
            )
        session_id = _new_id("cs_test")
        now = int(time.time())
        return 200, self.add(
            {
                "id": session_id,
                "object": "checkout.session",
                "amount_subtotal": price["unit_amount"],
                "amount_total": price["unit_amount"],
                "cancel_url": params.get("cancel_url"),
                "client_reference_id": params.get("client_reference_id"),
                "created": now,
                "currency": price["currency"],
                "customer": params.get("customer"),
                "customer_email": None,
                "expires_at": now + 86400,
                "invoice": None,
                "livemode": False,
                "locale": None,
                "metadata": params.get("metadata") or {},
                "mode": params.get("mode"),
                "payment_intent": None,
                "payment_method_types": ["card"],
                "payment_status": "unpaid",
                "setup_intent": None,
                "status": "open",
                "subscription": None,
                "success_url": params.get("success_url"),
                "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                "_subscription_data": params.get("subscription_data") or {},
                "_price": price["id"],
            }
        )

    def _portal_create(self, params: dict) -> tuple[int, dict]:
        if params.get("customer") not in self.objects:
            return 400, _error("invalid_request_error", "No such customer", status=400)
        portal_id = _new_id("bps")
        return 200, {
            "id": portal_id,
            "object": "billing_portal.session",
            "created": int(time.time()),
            "customer": params["customer"],
            "livemode": False,
            "return_url": params.get("return_url"),
            "url": f"https://billing.stripe.com/p/session/test_{portal_id}",
        }

    def _meter_event(self, params: dict) -> tuple[int, dict]:
        return 200, {
            "object": "billing.meter_event",
            "created": int(time.time()),
            "event_name": params.get("event_name"),
            "identifier": params.get("identifier") or _new_id("mev"),
            "livemode": False,
            "payload": params.get("payload") or {},
            "timestamp": int(time.time()),
        }

    def _refund_create(self, params: dict) -> tuple[int, dict]:
        return 200, self.add(
            {
                "id": _new_id("re"),
                "object": "refund",
                "amount": int(params.get("amount") or 0),
                "charge": params.get("charge"),
                "created": int(time.time()),
                "currency": "eur",
                "metadata": {},
                "payment_intent": params.get("payment_intent"),
                "reason": None,
                "status": "succeeded",
            }
        )

    def _product_create(self, params: dict) -> tuple[int, dict]:
        product_id = params.get("id") or _new_id("prod")
        if product_id in self.objects:
            return 400, _error("invalid_request_error", "Product already exists", status=400)
        now = int(time.time())
        return 200, self.add(
            {
                "id": product_id,
                "object": "product",
                "active": _bool(params.get("active", "true")),
                "created": now,
                "updated": now,
                "default_price": None,
                "description": params.get("description"),
                "images": [],
                "livemode": False,
                "marketing_features": [],
                "metadata": params.get("metadata") or {},
                "name": params.get("name"),
                "package_dimensions": None,
                "shippable": None,
                "statement_descriptor": None,
                "tax_code": None,
                "type": "service",
                "unit_label": None,
                "url": None,
            }
        )

    def _price_create(self, params: dict) -> tuple[int, dict]:
        lookup_key = params.get("lookup_key")
        if lookup_key:
            holders = [
                p
                for p in self.objects.values()
                if p.get("object") == "price" and p.get("lookup_key") == lookup_key
            ]
            if holders and not _bool(params.get("transfer_lookup_key")):
                return 400, _error("invalid_request_error", "lookup_key in use", status=400)
            for holder in holders:
                holder["lookup_key"] = None
        recurring = params.get("recurring") or {}
        return 200, self.add(
            {
                "id": _new_id("price"),
                "object": "price",
                "active": True,
                "billing_scheme": "per_unit",
                "created": int(time.time()),
                "currency": params.get("currency"),
                "custom_unit_amount": None,
                "livemode": False,
                "lookup_key": lookup_key,
                "metadata": params.get("metadata") or {},
                "nickname": None,
                "product": params.get("product"),
                "recurring": {
                    "interval": recurring.get("interval", "month"),
                    "interval_count": int(recurring.get("interval_count", 1)),
                    "meter": None,
                    "usage_type": "licensed",
                },
                "tax_behavior": "unspecified",
                "tiers_mode": None,
                "transform_quantity": None,
                "type": "recurring",
                "unit_amount": int(params.get("unit_amount") or 0),
                "unit_amount_decimal": str(params.get("unit_amount") or 0),
            }
        )

    # --- what Stripe does next -------------------------------------------------------------

    def price(self, *, product: str = "fastlead_email_2500", amount: int = 1999, **extra) -> dict:
        """A product and a monthly EUR price, as `billing_stripe_sync` would have made."""
        if product not in self.objects:
            self._product_create({"id": product, "name": f"Fast Lead {product}"})
        _status, price = self._price_create(
            {
                "product": product,
                "currency": "eur",
                "unit_amount": amount,
                "recurring": {"interval": "month"},
                **extra,
            }
        )
        return price

    def customer(self, email: str = "admin@acme.example") -> dict:
        return self.add(
            {
                "id": _new_id("cus"),
                "object": "customer",
                "address": None,
                "balance": 0,
                "created": int(time.time()),
                "currency": "eur",
                "default_source": None,
                "delinquent": False,
                "description": None,
                "email": email,
                "invoice_prefix": "FL" + uuid.uuid4().hex[:6].upper(),
                "invoice_settings": {
                    "custom_fields": None,
                    "default_payment_method": None,
                    "footer": None,
                },
                "livemode": False,
                "metadata": {},
                "name": "Acme",
                "phone": None,
                "preferred_locales": [],
                "shipping": None,
                "tax_exempt": "none",
            }
        )

    def invoice(
        self,
        subscription: dict,
        *,
        reason: str,
        start: int,
        end: int,
        status: str = "paid",
        attempt_count: int = 1,
    ) -> dict:
        item = subscription["items"]["data"][0]
        amount = item["price"]["unit_amount"]
        paid = status == "paid"
        payment_intent = _new_id("pi")
        return self.add(
            {
                "id": _new_id("in"),
                "object": "invoice",
                "account_country": "DE",
                "amount_due": amount,
                "amount_paid": amount if paid else 0,
                "amount_remaining": 0 if paid else amount,
                "attempt_count": attempt_count,
                "attempted": True,
                "billing_reason": reason,
                "collection_method": "charge_automatically",
                "created": start,
                "currency": "eur",
                "customer": subscription["customer"],
                "default_payment_method": None,
                "description": None,
                "discounts": [],
                "last_finalization_error": None,
                "lines": {
                    "object": "list",
                    "data": [
                        {
                            "id": _new_id("il"),
                            "object": "line_item",
                            "amount": amount,
                            "currency": "eur",
                            "description": "1 × Fast Lead (at €19.99 / month)",
                            "discounts": [],
                            "livemode": False,
                            "metadata": {},
                            "period": {"start": start, "end": end},
                            "quantity": 1,
                        }
                    ],
                    "has_more": False,
                    "url": "/v1/invoices/lines",
                },
                "livemode": False,
                "metadata": {},
                "number": f"FL-{uuid.uuid4().hex[:6].upper()}",
                "parent": {
                    "type": "subscription_details",
                    "quote_details": None,
                    "subscription_details": {
                        "metadata": subscription.get("metadata") or {},
                        "subscription": subscription["id"],
                    },
                },
                "payments": {
                    "object": "list",
                    "data": [
                        {
                            "id": _new_id("inpay"),
                            "object": "invoice_payment",
                            "amount_paid": amount if paid else 0,
                            "payment": {"type": "payment_intent", "payment_intent": payment_intent},
                            "status": "paid" if paid else "open",
                        }
                    ],
                    "has_more": False,
                },
                "period_end": start,
                "period_start": start,
                "status": status,
                "subtotal": amount,
                "total": amount,
            }
        )

    def checkout_complete(self, session_id: str) -> tuple[dict, dict, dict]:
        """The payer paid on the Checkout page: a customer, an active subscription and its
        first (paid) invoice exist and the session is complete. Returns them."""
        session = self.objects[session_id]
        customer = self.objects.get(session["customer"] or "") or self.customer()
        price = self.objects[session["_price"]]
        now = int(time.time())
        subscription_id = _new_id("sub")
        subscription = self.add(
            {
                "id": subscription_id,
                "object": "subscription",
                "billing_cycle_anchor": now,
                "cancel_at": None,
                "cancel_at_period_end": False,
                "canceled_at": None,
                "collection_method": "charge_automatically",
                "created": now,
                "currency": "eur",
                "customer": customer["id"],
                "default_payment_method": None,
                "default_tax_rates": [],
                "description": (session.get("_subscription_data") or {}).get("description"),
                "discounts": [],
                "ended_at": None,
                "items": {
                    "object": "list",
                    "data": [
                        {
                            "id": _new_id("si"),
                            "object": "subscription_item",
                            "created": now,
                            "current_period_end": now + MONTH,
                            "current_period_start": now,
                            "metadata": {},
                            "price": price,
                            "quantity": 1,
                            "subscription": subscription_id,
                            "tax_rates": [],
                        }
                    ],
                    "has_more": False,
                    "url": f"/v1/subscription_items?subscription={subscription_id}",
                },
                "latest_invoice": None,
                "livemode": False,
                "metadata": (session.get("_subscription_data") or {}).get("metadata") or {},
                "pause_collection": None,
                "start_date": now,
                "status": "active",
                "trial_end": None,
                "trial_start": None,
            }
        )
        invoice = self.invoice(
            subscription, reason="subscription_create", start=now, end=now + MONTH
        )
        subscription["latest_invoice"] = invoice["id"]
        session.update(
            {
                "customer": customer["id"],
                "invoice": invoice["id"],
                "payment_status": "paid",
                "status": "complete",
                "subscription": subscription_id,
            }
        )
        return session, subscription, invoice

    def subscription_renew(self, subscription_id: str, *, paid: bool = True) -> dict:
        """The next period's invoice (paid, or failed with the subscription past due)."""
        subscription = self.objects[subscription_id]
        item = subscription["items"]["data"][0]
        start, end = item["current_period_end"], item["current_period_end"] + MONTH
        invoice = self.invoice(
            subscription,
            reason="subscription_cycle",
            start=start,
            end=end,
            status="paid" if paid else "open",
        )
        if not paid:
            invoice["last_finalization_error"] = None
        item["current_period_start"], item["current_period_end"] = start, end
        subscription["latest_invoice"] = invoice["id"]
        subscription["status"] = "active" if paid else "past_due"
        return invoice

    def event(self, event_type: str, obj: dict, *, created: int | None = None) -> dict:
        """The Event Stripe sends for `obj` (stored too: GET /v1/events/<id>)."""
        data = {k: v for k, v in obj.items() if not k.startswith("_")}
        return self.add(
            {
                "id": _new_id("evt"),
                "object": "event",
                "account": None,
                "api_version": API_VERSION,
                "created": created or int(time.time()),
                "data": {"object": json.loads(json.dumps(data))},
                "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
                "type": event_type,
            }
        )


def _update(obj: dict, params: dict) -> None:
    for key, value in params.items():
        if key in ("expand",):
            continue
        if key == "active":
            value = _bool(value)
        obj[key] = value


def _error(
    kind: str, message: str, *, code: str | None = None, status: int = 400, param=None
) -> dict:
    return {"error": {"type": kind, "message": message, "code": code, "param": param}}


def signed_headers(body: str, secret: str, *, timestamp: int | None = None) -> dict:
    """The `Stripe-Signature` header Stripe sends: t=<time>,v1=HMAC-SHA256(secret, "t.body")."""
    timestamp = timestamp or int(time.time())
    signature = hmac.new(
        secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256
    ).hexdigest()
    return {"HTTP_STRIPE_SIGNATURE": f"t={timestamp},v1={signature}"}


def plain(obj: Any) -> Any:
    return json.loads(json.dumps(obj))
