"""YooKassa through the official `yookassa` SDK (this module shadows nothing: imports are
absolute, so `yookassa` below is the SDK).

Two SDK traps handled here: its configuration is global on a class (so every call sets it
under a lock, per call), and its HTTP requests have no timeout (`Configuration.timeout` is a
retry backoff) — `_TimeoutApiClient` gives its `requests` session one. Notifications carry no
signature: they are accepted only from YooKassa's documented addresses when
YOOKASSA_CHECK_IP is on, and only for the status that re-fetching the payment from the API
returns.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import requests
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from yookassa import Configuration
from yookassa.client import ApiClient
from yookassa.domain.common import HttpVerb, RequestObject, SecurityHelper
from yookassa.domain.exceptions import ApiError, NotFoundError
from yookassa.domain.request import PaymentRequest
from yookassa.domain.request import RefundRequest as SdkRefundRequest

from apps.core.errors import ProviderError
from apps.core.money import Money
from apps.core.net import client_ip
from apps.payments.gateways.base import (
    CANCELED,
    FAILED,
    PENDING,
    RECEIPT_FAILED,
    RECEIPT_PENDING,
    RECEIPT_REGISTERED,
    REFUNDED,
    SUCCEEDED,
    WAITING_FOR_CAPTURE,
    Capabilities,
    GatewayBase,
    GatewayError,
    HostedPaymentRequest,
    NotificationEvent,
    NotificationRejected,
    PaymentIntentResult,
    Receipt,
    RefundRequest,
    RefundResult,
    SavedMethodCharge,
)

TIMEOUT = (5.0, 20.0)  # (connect, read) seconds
_config_lock = threading.Lock()

_STATUSES = {
    "pending": PENDING,
    "waiting_for_capture": WAITING_FOR_CAPTURE,
    "succeeded": SUCCEEDED,
    "canceled": CANCELED,
}

# cancellation_details.reason → a message safe for the payer.
_DECLINES = {
    "insufficient_funds": gettext_noop("Insufficient funds on the card."),
    "card_expired": gettext_noop("The card has expired."),
    "3d_secure_failed": gettext_noop("3-D Secure authentication failed."),
    "expired_on_confirmation": gettext_noop("The payment was not confirmed in time."),
    "fraud_suspected": gettext_noop("The bank suspected fraud and declined the payment."),
}


class _TimeoutSession(requests.Session):
    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(*args, **kwargs)


class _TimeoutApiClient(ApiClient):
    def get_session(self):
        session = _TimeoutSession()
        for prefix, adapter in super().get_session().adapters.items():
            session.mount(prefix, adapter)  # keep the SDK's retry-on-202 adapter
        return session


# Receipt codes of API v3 (YooKassa docs: receipts/54fz/parameters-values).
VAT_CODES = {
    "none": 1,
    "vat0": 2,
    "vat10": 3,
    "vat20": 4,
    "vat110": 5,
    "vat120": 6,
    "vat5": 7,
    "vat7": 8,
    "vat105": 9,
    "vat107": 10,
    "vat22": 11,
    "vat122": 12,
}
TAX_SYSTEM_CODES = {
    "osn": 1,
    "usn_income": 2,
    "usn_income_outcome": 3,
    "envd": 4,
    "esn": 5,
    "patent": 6,
}
# `receipt_registration` of a payment or a refund.
_RECEIPT_STATUSES = {
    "pending": RECEIPT_PENDING,
    "succeeded": RECEIPT_REGISTERED,
    "canceled": RECEIPT_FAILED,
}


def receipt_payload(receipt: Receipt) -> dict[str, Any]:
    """The `receipt` object: `amount` of an item is its unit price, as a decimal string."""
    customer = {}
    if receipt.email:
        customer["email"] = receipt.email
    if receipt.phone:
        customer["phone"] = receipt.phone.lstrip("+")  # E.164 digits, as YooKassa takes it
    return {
        "customer": customer,
        "tax_system_code": TAX_SYSTEM_CODES[receipt.tax_system],
        "items": [
            {
                "description": item.description[:128],
                "quantity": str(item.quantity),
                "amount": {
                    "value": str(Money(item.unit_amount, "RUB").to_decimal()),
                    "currency": "RUB",
                },
                "vat_code": VAT_CODES[item.vat],
                "payment_subject": item.payment_subject,
                "payment_mode": item.payment_mode,
            }
            for item in receipt.items
        ],
    }


def receipt_status(data: dict[str, Any]) -> str:
    return _RECEIPT_STATUSES.get(str(data.get("receipt_registration") or ""), "")


def _with_receipt(body: dict[str, Any], receipt: Receipt | None) -> dict[str, Any]:
    return {**body, "receipt": receipt_payload(receipt)} if receipt is not None else body


def decline_message(reason: str) -> str:
    text = _DECLINES.get(reason)
    return _(text) if text else _("The payment was declined.")


def _metadata(payment_ref: str, customer_ref: str) -> dict[str, str]:
    """What YooKassa echoes back: our payment (finds it when its id was never saved)."""
    return {"payment_id": payment_ref, "customer_key": customer_ref}


def _payment_request(data: dict) -> PaymentRequest:
    try:
        return PaymentRequest(data)  # the SDK validates fields as it builds the request
    except (ValueError, TypeError) as exc:
        raise GatewayError(f"yookassa: invalid request ({exc})", permanent=True) from exc


def _reported_amount(data: dict[str, Any]) -> Money | None:
    """The payment's `amount` {"value": "19990.00", "currency": "RUB"} as the API reports it."""
    amount = data.get("amount")
    if not isinstance(amount, dict):
        return None
    try:
        return Money.from_decimal(str(amount["value"]), str(amount["currency"]))
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None


class YooKassaGateway(GatewayBase):
    name = "yookassa"
    is_test = False
    capabilities = Capabilities(
        can_charge_saved_card=True, notifies_us=True, fiscal_receipts=True, receipt_in_fetch=True
    )

    def __init__(self, *, shop_id: str, secret_key: str, api_url: str, check_ip: bool = True):
        self.shop_id = shop_id
        self.secret_key = secret_key
        self.api_url = api_url.rstrip("/")
        self.check_ip = check_ip

    def _request(self, method: str, path: str, body=None, idempotency_key: str = "") -> dict:
        headers = {"Idempotence-Key": idempotency_key} if idempotency_key else None
        try:
            body = self._validated(body)
        except ValueError as exc:  # the SDK validates the request before sending it
            raise GatewayError(f"yookassa {path}: invalid request ({exc})", permanent=True) from exc
        try:
            with _config_lock:  # the SDK reads its global class config when a client is built
                Configuration.configure(self.shop_id, self.secret_key, api_url=self.api_url)
                client = _TimeoutApiClient()
            return client.request(method, path, None, headers, body)
        except NotFoundError as exc:
            raise GatewayError("yookassa: not found", permanent=True, code="not_found") from exc
        except ApiError as exc:
            code = str(getattr(exc, "HTTP_CODE", ""))
            permanent = code in {"400", "401", "403"}
            raise GatewayError(
                f"yookassa {path}: HTTP {code}", permanent=permanent, retry_after=60, code=code
            ) from exc
        except (requests.RequestException, AttributeError) as exc:
            # AttributeError: the SDK dereferences `e.response` of a connection error (None).
            raise GatewayError(f"yookassa {path}: {type(exc).__name__}", retry_after=60) from exc

    @staticmethod
    def _validated(body):
        if isinstance(body, RequestObject):
            body.validate()
            return dict(body)
        return body

    @staticmethod
    def _result(data: dict[str, Any]) -> PaymentIntentResult:
        status = _STATUSES.get(data.get("status", ""), PENDING)
        reason = (data.get("cancellation_details") or {}).get("reason", "")
        method = data.get("payment_method") or {}
        if status == CANCELED and reason and reason not in {"canceled_by_merchant"}:
            status = FAILED
        confirmation = data.get("confirmation") or {}
        return PaymentIntentResult(
            provider_id=data.get("id", ""),
            status=status,
            confirmation_url=confirmation.get("confirmation_url"),
            payment_method_id=method.get("id", "") if method.get("saved") else "",
            failure_reason=decline_message(reason) if status == FAILED else "",
            raw=data,
            amount=_reported_amount(data),
            receipt_status=receipt_status(data),
        )

    def create_payment(self, request: HostedPaymentRequest) -> PaymentIntentResult:
        """A payment with redirect confirmation, captured at once, saving the card."""
        amount = request.amount
        body = _payment_request(
            _with_receipt(
                {
                    "amount": {"value": str(amount.to_decimal()), "currency": amount.currency},
                    "confirmation": {"type": "redirect", "return_url": request.return_url},
                    "capture": True,
                    "save_payment_method": request.save_method,
                    "description": request.description[:128],
                    "metadata": _metadata(request.payment_ref, request.customer_ref),
                },
                request.receipt,
            )
        )
        data = self._request(HttpVerb.POST, "/payments", body, request.idempotency_key)
        return self._result(data)

    def charge_saved(self, request: SavedMethodCharge) -> PaymentIntentResult:
        amount = request.amount
        body = _payment_request(
            _with_receipt(
                {
                    "amount": {"value": str(amount.to_decimal()), "currency": amount.currency},
                    "capture": True,
                    "payment_method_id": request.method_id,
                    "description": (request.description or "renewal")[:128],
                    "metadata": _metadata(request.payment_ref, request.customer_ref),
                },
                request.receipt,
            )
        )
        data = self._request(HttpVerb.POST, "/payments", body, request.idempotency_key)
        result = self._result(data)
        if result.status == FAILED:
            raise GatewayError(
                "yookassa renewal declined", permanent=True, user_message=result.failure_reason
            )
        return result

    def refund(self, request: RefundRequest) -> RefundResult:
        """POST /refunds with an Idempotence-Key: a retry with the same key gets the first
        refund back. `succeeded` is done, `pending` is still being processed (retry later with
        the same key), `canceled` was refused (the reason in cancellation_details)."""
        amount = request.amount
        try:
            body = SdkRefundRequest(
                _with_receipt(
                    {
                        "payment_id": request.provider_payment_id,
                        "amount": {"value": str(amount.to_decimal()), "currency": amount.currency},
                    },
                    request.receipt,
                )
            )
        except (ValueError, TypeError) as exc:
            raise GatewayError(f"yookassa: invalid refund ({exc})", permanent=True) from exc
        data = self._request(HttpVerb.POST, "/refunds", body, request.idempotency_key)
        status = data.get("status", "")
        if status == "canceled":
            reason = (data.get("cancellation_details") or {}).get("reason", "")
            raise GatewayError(
                f"yookassa refund canceled: {reason}",
                permanent=True,
                code=reason or "canceled",
                user_message=_("The payment service refused the refund (%(reason)s).")
                % {"reason": reason or "canceled"},
            )
        return RefundResult(
            provider_id=data.get("id", ""),
            status=REFUNDED if status == "succeeded" else PENDING,
            raw=data,
            receipt_status=receipt_status(data),
        )

    def fetch(self, provider_id: str) -> PaymentIntentResult:
        if not provider_id or "/" in provider_id:
            raise GatewayError("yookassa: bad payment id", permanent=True)
        return self._result(self._request(HttpVerb.GET, f"/payments/{provider_id}"))

    def parse_notification(self, request) -> NotificationEvent:
        """Trust nothing in the body but the payment id: the status comes from the API."""
        # The sender's address by the trusted-proxy rule (X-Forwarded-For from our own proxies
        # only: a forged header from anywhere else is ignored).
        if self.check_ip and not self._ip_trusted(client_ip(request)):
            raise NotificationRejected("untrusted source address")
        try:
            data = json.loads(request.body)
            obj = data["object"]
            # refund.succeeded names the refund; its payment is in payment_id.
            is_refund = str(data.get("event", "")).startswith("refund.")
            payment_id = str(obj["payment_id"] if is_refund else obj["id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise NotificationRejected("not a YooKassa notification") from exc
        try:
            result = self.fetch(payment_id)
        except ProviderError as exc:
            if exc.permanent:
                raise NotificationRejected("payment unknown to YooKassa") from exc
            raise
        return NotificationEvent(
            provider=self.name,
            event_id=f"{payment_id}:{result.status}",
            provider_payment_id=payment_id,
            status=result.status,
            payment_method_id=result.payment_method_id,
            failure_reason=result.failure_reason,
            raw=result.raw,
            order_ref=str((result.raw.get("metadata") or {}).get("payment_id", "")),
            amount=result.amount,
            receipt_status=result.receipt_status,
        )

    @staticmethod
    def _ip_trusted(ip: str) -> bool:
        try:
            return bool(ip) and SecurityHelper().is_ip_trusted(ip)
        except Exception:
            return False
