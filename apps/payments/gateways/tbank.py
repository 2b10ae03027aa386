"""T-Bank (Tinkoff) acquiring through our own small httpx client (not the PyPI package: it
sends the password, drops Receipt/DATA, rounds kopecks with floats and has no timeouts).

API v2, JSON: Init (Recurrent=Y + CustomerKey saves the card and yields a RebillId), GetState,
CheckOrder, Charge (a renewal on the RebillId, after an Init of its own), Cancel (a refund, whole
or partial, idempotent by ExternalRequestId). Every request carries a
`Token`: SHA-256 hex of the values of the top-level scalar parameters plus `Password`, sorted
by key (nested Receipt/DATA excluded, booleans as true/false). Notifications carry the same
token, recomputed here and compared in constant time; the webhook answers `OK`.

T-Bank has no idempotency key on Init or Charge, and a timeout leaves their outcome unknown. Our
idempotency key is the OrderId, so before any Init the client asks CheckOrder what that order
already holds: a payment that succeeded or is under way is answered instead of a new one, an
initialised one (NEW) is charged instead of initialising another — the provider never takes
the money twice for one key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx
from django.utils.translation import gettext as _

from apps.core.errors import ProviderError
from apps.core.http import make_client
from apps.core.money import Money
from apps.payments.gateways.base import (
    CANCELED,
    FAILED,
    PENDING,
    RECEIPT_FAILED,
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

TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=10.0, pool=5.0)

_STATUSES = {
    "AUTHORIZED": WAITING_FOR_CAPTURE,
    "CONFIRMED": SUCCEEDED,
    "REJECTED": FAILED,
    "AUTH_FAIL": FAILED,
    "CANCELED": CANCELED,
    "REVERSED": CANCELED,
    "DEADLINE_EXPIRED": CANCELED,
    "REFUNDED": REFUNDED,
    # Partly refunded is still a success for us: the refunds are their own records.
    "PARTIAL_REFUNDED": SUCCEEDED,
}
# Statuses of an order's payment, as CheckOrder/GetState report them, that mean "nothing was
# charged and nothing can be any more": a new attempt under the same OrderId is safe.
_DEAD = {"CANCELED", "DEADLINE_EXPIRED", "REVERSED", "ATTEMPTS_EXPIRED"}
_DECLINED = {"REJECTED", "AUTH_FAIL"}
_INITIALISED = "NEW"
_REFUND_DONE = {"REFUNDED", "PARTIAL_REFUNDED", "REVERSED", "PARTIAL_REVERSED"}


# A fiscalization notification (Status RECEIPT): Type says whether it is the payment's
# receipt (Income) or a refund's (IncomeReturn).
RECEIPT_NOTIFICATION = "RECEIPT"
RECEIPT_OF_REFUND = "IncomeReturn"


def receipt_payload(receipt: Receipt) -> dict[str, Any]:
    """`Receipt` of Init and Cancel: prices and amounts in kopecks, our neutral codes are
    T-Bank's own (Taxation, Tax, PaymentMethod, PaymentObject)."""
    data: dict[str, Any] = {"Taxation": receipt.tax_system, "FfdVersion": "1.05"}
    if receipt.email:
        data["Email"] = receipt.email
    if receipt.phone:
        data["Phone"] = receipt.phone
    data["Items"] = [
        {
            "Name": item.description[:128],
            "Price": item.unit_amount,
            "Quantity": item.quantity,
            "Amount": item.amount,
            "Tax": item.vat,
            "PaymentMethod": item.payment_mode,
            "PaymentObject": item.payment_subject,
        }
        for item in receipt.items
    ]
    return data


def map_status(status: str) -> str:
    """NEW, FORM_SHOWED, AUTHORIZING, 3DS_CHECKING… are all still pending for us."""
    return _STATUSES.get(status, PENDING)


def decline_reason(code) -> str:
    """A message safe for the payer; GetState of a rejected payment carries no code."""
    code = str(code or "0")
    if code == "0":
        return _("The bank declined the payment.")
    return _("The payment was declined by the bank (code %(code)s).") % {"code": code}


def _token_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def reported_amount(data: dict) -> Money | None:
    """T-Bank's `Amount` (kopecks; its terminals take roubles only), if the answer has one."""
    amount = data.get("Amount")
    if isinstance(amount, bool) or not isinstance(amount, int | str) or not str(amount).isdigit():
        return None
    return Money(int(amount), "RUB")


def make_token(params: dict[str, Any], password: str) -> str:
    """The request/notification signature; nested objects (Receipt, DATA) are not signed."""
    values = {k: v for k, v in params.items() if k != "Token" and not isinstance(v, dict | list)}
    values["Password"] = password
    joined = "".join(_token_value(values[key]) for key in sorted(values))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


class TBankGateway(GatewayBase):
    name = "tinkoff"  # the provider's key in our rows and settings (T-Bank was Tinkoff)
    is_test = False
    capabilities = Capabilities(can_charge_saved_card=True, notifies_us=True, fiscal_receipts=True)

    def __init__(
        self,
        *,
        terminal_key: str,
        password: str,
        api_url: str,
        notification_url: str = "",
        transport: httpx.BaseTransport | None = None,
    ):
        self.terminal_key = terminal_key
        self.password = password
        self.api_url = api_url.rstrip("/")
        self.notification_url = notification_url
        self.transport = transport

    # --- HTTP ------------------------------------------------------------------------------

    def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        body = {"TerminalKey": self.terminal_key, **params}
        body["Token"] = make_token(body, self.password)
        try:
            with make_client(timeout=TIMEOUT, transport=self.transport) as client:
                response = client.post(f"{self.api_url}/{method}", json=body)
        except httpx.TimeoutException as exc:
            raise GatewayError(f"tinkoff {method} timed out", retry_after=60) from exc
        except httpx.HTTPError as exc:
            raise GatewayError(f"tinkoff {method}: {type(exc).__name__}", retry_after=60) from exc
        if response.status_code >= 500:
            raise GatewayError(f"tinkoff {method}: HTTP {response.status_code}", retry_after=60)
        try:
            data = response.json()
        except ValueError as exc:
            raise GatewayError(f"tinkoff {method}: not JSON", retry_after=60) from exc
        if not data.get("Success", False) or str(data.get("ErrorCode", "0")) != "0":
            raise self._error(method, data)
        return data

    @staticmethod
    def _error(method: str, data: dict) -> ProviderError:
        code = str(data.get("ErrorCode", ""))
        # Errors 9999 and the 5xx-like "try later" family are transient; the rest are final.
        transient = code in {"9999", "1006", "1012"} or code.startswith("99")
        return GatewayError(
            f"tinkoff {method}: error {code}",
            permanent=not transient,
            code=code,
            user_message=(
                _("The payment service is not responding. Please try again later.")
                if transient
                else _("The payment was declined by the bank (code %(code)s).") % {"code": code}
            ),
        )

    @staticmethod
    def _result(data: dict) -> PaymentIntentResult:
        status = map_status(str(data.get("Status", "")))
        return PaymentIntentResult(
            provider_id=str(data.get("PaymentId", "")),
            status=status,
            confirmation_url=data.get("PaymentURL") or None,
            payment_method_id=str(data.get("RebillId") or ""),
            failure_reason=decline_reason(data.get("ErrorCode")) if status == FAILED else "",
            raw=data,
            amount=reported_amount(data),
        )

    # --- the gateway interface ---------------------------------------------------------------

    def _init(self, amount: Money, description: str, order_id: str, extra: dict) -> dict:
        if amount.currency != "RUB":
            raise GatewayError("tinkoff takes RUB only", permanent=True)
        params = {"Amount": amount.amount, "OrderId": order_id, "Description": description[:140]}
        if self.notification_url:
            params["NotificationURL"] = self.notification_url
        return self._call("Init", {**params, **extra})

    def check_order(self, order_id: str) -> list[dict]:
        """The payments T-Bank holds under our OrderId. A permanent error (the order is unknown
        to T-Bank) is an empty list; a transient one propagates, so that no new payment is
        started while the state of the last one is unknown."""
        try:
            data = self._call("CheckOrder", {"OrderId": order_id})
        except ProviderError as exc:
            if exc.permanent:
                return []
            raise
        payments = data.get("Payments") or []
        return [p for p in payments if isinstance(p, dict) and p.get("PaymentId")]

    def _existing(self, order_id: str) -> tuple[dict | None, dict | None, dict | None]:
        """(a payment that took or is taking the money, an initialised one, a declined one)."""
        live = initialised = declined = None
        for item in self.check_order(order_id):
            status = str(item.get("Status", ""))
            if status == _INITIALISED:
                initialised = item
            elif status in _DECLINED:
                declined = item
            elif status not in _DEAD:
                live = live or item
        return live, initialised, declined

    @staticmethod
    def _from_order(item: dict) -> PaymentIntentResult:
        return PaymentIntentResult(
            provider_id=str(item.get("PaymentId", "")),
            status=map_status(str(item.get("Status", ""))),
            raw={**item, "found_by": "CheckOrder"},
        )

    def create_payment(self, request: HostedPaymentRequest) -> PaymentIntentResult:
        """Init; the OrderId is our idempotency key, the payer finishes on PaymentURL. An order
        already paid or being paid (a retry after a lost answer) is answered as it stands."""
        live, _initialised, _declined = self._existing(request.idempotency_key)
        if live is not None:
            return self._from_order(live)
        extra: dict[str, Any] = {"SuccessURL": request.return_url, "FailURL": request.return_url}
        if request.save_method:
            extra |= {"Recurrent": "Y", "CustomerKey": request.customer_ref}
        extra["DATA"] = {"payment_id": request.payment_ref, "customer_key": request.customer_ref}
        if request.receipt is not None:
            extra["Receipt"] = receipt_payload(request.receipt)
        init = self._init(request.amount, request.description, request.idempotency_key, extra)
        return self._result(init)

    def charge_saved(self, request: SavedMethodCharge) -> PaymentIntentResult:
        """A renewal: Init a new payment, then Charge it on the saved RebillId — unless the
        order already has one (see the module docstring)."""
        key = request.idempotency_key
        live, initialised, declined = self._existing(key)
        if live is not None:
            return self._from_order(live)
        if initialised is None and declined is not None:
            code = str(declined.get("ErrorCode") or "REJECTED")
            raise GatewayError(
                "tinkoff Charge was rejected",
                permanent=True,
                code=code,
                user_message=_("The payment was declined by the bank (code %(code)s).")
                % {"code": code},
            )
        if initialised is not None:
            payment_id = str(initialised["PaymentId"])
        else:
            extra = {}
            if request.receipt is not None:
                extra["Receipt"] = receipt_payload(request.receipt)
            init = self._init(request.amount, request.description or "renewal", key, extra)
            payment_id = str(init["PaymentId"])
        try:
            data = self._call("Charge", {"PaymentId": payment_id, "RebillId": request.method_id})
        except ProviderError as exc:
            if exc.permanent:
                raise
            return self._after_lost_charge(payment_id, exc)
        result = self._result(data)
        if result.status == FAILED:
            raise GatewayError("tinkoff Charge rejected", permanent=True, code="REJECTED")
        return result

    def _after_lost_charge(self, payment_id: str, exc: ProviderError) -> PaymentIntentResult:
        """Charge timed out: one GetState tells whether it went through. Still unknown, the
        original transient error stands (the next attempt's CheckOrder settles it)."""
        try:
            state = self.fetch(payment_id)
        except ProviderError:
            raise exc from None
        if state.status == SUCCEEDED:
            return state
        if state.status == FAILED:
            raise GatewayError("tinkoff Charge rejected", permanent=True, code="REJECTED")
        raise exc

    def refund(self, request: RefundRequest) -> RefundResult:
        """Cancel with Amount (kopecks: a part or all of what is left). ExternalRequestId is
        our refund's idempotency key: T-Bank answers a repeat with the first operation."""
        params: dict[str, Any] = {
            "PaymentId": request.provider_payment_id,
            "Amount": request.amount.amount,
            "ExternalRequestId": request.idempotency_key,
        }
        if request.receipt is not None:
            params["Receipt"] = receipt_payload(request.receipt)
        data = self._call("Cancel", params)
        status = str(data.get("Status", ""))
        return RefundResult(
            provider_id=str(data.get("ExternalRequestId") or request.idempotency_key),
            status=REFUNDED if status in _REFUND_DONE else PENDING,
            raw={k: v for k, v in data.items() if k != "Token"},
        )

    def fetch(self, provider_id: str) -> PaymentIntentResult:
        return self._result(self._call("GetState", {"PaymentId": provider_id}))

    def parse_notification(self, request) -> NotificationEvent:
        """Verify the notification's Token; T-Bank sends no event id, so one status of one
        payment is one event."""
        try:
            data = json.loads(request.body)
        except ValueError as exc:
            raise NotificationRejected("not JSON") from exc
        if not isinstance(data, dict) or not isinstance(data.get("Token"), str):
            raise NotificationRejected("no token")
        if data.get("TerminalKey") != self.terminal_key:
            raise NotificationRejected("foreign terminal")
        if not hmac.compare_digest(make_token(data, self.password), data["Token"]):
            raise NotificationRejected("bad token")
        status = str(data.get("Status", ""))
        if status == RECEIPT_NOTIFICATION:
            return self._receipt_notification(data)
        mapped = map_status(status)
        return NotificationEvent(
            provider=self.name,
            event_id=f"{data.get('PaymentId')}:{status}",
            provider_payment_id=str(data.get("PaymentId", "")),
            status=mapped,
            payment_method_id=str(data.get("RebillId") or ""),
            failure_reason=decline_reason(data.get("ErrorCode")) if mapped == FAILED else "",
            raw={k: v for k, v in data.items() if k != "Token"},
            order_ref=str(data.get("OrderId") or ""),
            amount=reported_amount(data),
        )

    def _receipt_notification(self, data: dict) -> NotificationEvent:
        """The fiscal data operator's answer about a receipt: nothing changes the payment's own
        status (PENDING never moves it), only the receipt's."""
        kind = str(data.get("Type") or "Income")
        registered = bool(data.get("Success")) and str(data.get("ErrorCode", "0")) == "0"
        document = data.get("FiscalDocumentNumber") or data.get("Amount") or ""
        return NotificationEvent(
            provider=self.name,
            event_id=f"{data.get('PaymentId')}:{RECEIPT_NOTIFICATION}:{kind}:{document}",
            provider_payment_id=str(data.get("PaymentId", "")),
            status=PENDING,
            raw={k: v for k, v in data.items() if k != "Token"},
            order_ref=str(data.get("OrderId") or ""),
            receipt_status=RECEIPT_REGISTERED if registered else RECEIPT_FAILED,
            receipt_of_refund=kind == RECEIPT_OF_REFUND,
        )
