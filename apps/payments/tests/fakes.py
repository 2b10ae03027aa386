"""Local fakes of T-Bank acquiring (API v2) and YooKassa (API v3), built from their documented
request and response formats, with a hosted payment page each.

Both keep state (payments, saved cards, refunds) and count requests, so a test can tell how
many times the provider was asked to charge. Faults are scripted per method:
`fake.fail("Charge", "lost")` processes the next Charge and then drops the connection (the
provider took the money, we never heard), "timeout" drops it before processing, "500" answers a
server error; `fake.down = True` answers 500 to everything.

`FakeServer(fake)` serves one over HTTP on 127.0.0.1 (a threaded http.server) for the real
clients and the browser; `fake.respx_handler` answers httpx requests under respx directly.
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import threading
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import httpx

from apps.payments.gateways.tbank import make_token

LOST = object()  # "close the connection without an answer"


class _Fake:
    def __init__(self):
        self.lock = threading.RLock()
        self.calls: Counter[str] = Counter()
        self.faults: dict[str, list[str]] = {}
        self.down = False
        self.base_url = "http://fake.invalid"

    def fail(self, method: str, mode: str, times: int = 1) -> None:
        """Script the next `times` calls of `method` to fail with `mode`."""
        with self.lock:
            self.faults.setdefault(method, []).extend([mode] * times)

    def _fault(self, method: str) -> str | None:
        with self.lock:
            queue = self.faults.get(method) or []
            return queue.pop(0) if queue else None

    def page(self, title: str, body: str) -> str:
        return (
            "<!doctype html><html lang='ru'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title>"
            "<style>body{font:16px system-ui;margin:3rem auto;max-width:28rem}"
            "button{font-size:1rem;padding:.6rem 1.2rem;margin-right:.5rem}"
            ".sum{font-size:2rem;margin:1rem 0}</style></head>"
            f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
        )


# --- T-Bank -----------------------------------------------------------------------------------


class FakeTBank(_Fake):
    """POST /v2/Init|GetState|CheckOrder|Charge|Cancel and the hosted form GET|POST /pay/<id>."""

    def __init__(self, terminal_key: str = "TinkoffBankTest", password: str = "secret-pass"):
        super().__init__()
        self.terminal_key = terminal_key
        self.password = password
        self.payments: dict[str, dict] = {}
        self.rebills: dict[str, str] = {}  # RebillId -> "ok" | "decline"
        self.cancels: dict[str, dict] = {}  # ExternalRequestId -> first answer
        self.send_notifications = False  # True: POST them to Init's NotificationURL
        self.notifications: list[tuple[int, str]] = []  # our webhook's answers
        self.requests: list[tuple[str, dict]] = []  # (method, body) as received
        self._ids = itertools.count(3093639567)

    # the API
    def api(self, method: str, body: dict) -> tuple[int, dict] | object:
        with self.lock:
            self.calls[method] += 1
            self.requests.append((method, body))
            if self.down:
                return 500, {"error": "down"}
            fault = self._fault(method)
            if fault == "timeout":
                return LOST
            if fault == "500":
                return 500, {"error": "fault"}
            if body.get("TerminalKey") != self.terminal_key or body.get("Token") != make_token(
                body, self.password
            ):
                return 200, self._error("204", "Неверный токен.")
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                return 404, {"error": "unknown method"}
            answer = handler(body)
            return LOST if fault == "lost" else (200, answer)

    def _error(self, code: str, message: str, **extra) -> dict:
        return {
            "TerminalKey": self.terminal_key,
            "Success": False,
            "ErrorCode": code,
            "Message": message,
            **extra,
        }

    def _ok(self, payment: dict, **extra) -> dict:
        return {
            "TerminalKey": self.terminal_key,
            "Success": True,
            "ErrorCode": "0",
            "Status": payment["Status"],
            "PaymentId": payment["PaymentId"],
            "OrderId": payment["OrderId"],
            "Amount": payment["Amount"],
            **extra,
        }

    @staticmethod
    def _receipt_error(receipt, amount: int) -> str:
        """T-Bank refuses a Receipt whose Items do not add up to the Amount (or are wrong)."""
        if receipt is None:
            return ""
        items = receipt.get("Items") or []
        if not items or sum(int(item["Amount"]) for item in items) != amount:
            return "Сумма позиций чека не равна сумме платежа"
        if any(int(i["Price"]) * i["Quantity"] != int(i["Amount"]) for i in items):
            return "Неверная сумма позиции чека"
        return ""

    def _api_Init(self, body: dict) -> dict:
        problem = self._receipt_error(body.get("Receipt"), int(body["Amount"]))
        if problem:
            return self._error("309", problem)
        payment_id = str(next(self._ids))
        payment = {
            "PaymentId": payment_id,
            "OrderId": str(body["OrderId"]),
            "Amount": int(body["Amount"]),
            "Status": "NEW",
            "Recurrent": body.get("Recurrent") == "Y",
            "SuccessURL": body.get("SuccessURL", ""),
            "FailURL": body.get("FailURL", ""),
            "NotificationURL": body.get("NotificationURL", ""),
            "RebillId": "",
            "Refunded": 0,
            "Receipt": body.get("Receipt"),
        }
        self.payments[payment_id] = payment
        return self._ok(payment, PaymentURL=f"{self.base_url}/pay/{payment_id}")

    def _api_GetState(self, body: dict) -> dict:
        payment = self.payments.get(str(body.get("PaymentId")))
        if payment is None:
            return self._error("7", "Платеж не найден")
        return self._ok(payment, Message="OK")

    def _api_CheckOrder(self, body: dict) -> dict:
        order = str(body.get("OrderId"))
        found = [p for p in self.payments.values() if p["OrderId"] == order]
        return {
            "TerminalKey": self.terminal_key,
            "OrderId": order,
            "Success": True,
            "ErrorCode": "0",
            "Message": "OK",
            "Payments": [
                {
                    "PaymentId": p["PaymentId"],
                    "Amount": p["Amount"],
                    "Status": p["Status"],
                    "Success": p["Status"] not in ("REJECTED", "AUTH_FAIL"),
                    "ErrorCode": "1051" if p["Status"] == "REJECTED" else "0",
                }
                for p in found
            ],
        }

    def _api_Charge(self, body: dict) -> dict:
        payment = self.payments.get(str(body.get("PaymentId")))
        if payment is None or payment["Status"] != "NEW":
            return self._error("8", "Неверный статус транзакции")
        card = self.rebills.get(str(body.get("RebillId")))
        if card is None:
            return self._error("1016", "Не найден RebillId")
        if card == "decline":
            payment["Status"] = "REJECTED"
            return {**self._ok(payment), "Success": False, "ErrorCode": "1051",
                    "Message": "Недостаточно средств на карте"}  # fmt: skip
        payment["Status"] = "CONFIRMED"
        payment["RebillId"] = str(body["RebillId"])
        return self._ok(payment)

    def _api_Cancel(self, body: dict) -> dict:
        key = str(body.get("ExternalRequestId") or "")
        if key and key in self.cancels:
            return self.cancels[key]
        payment = self.payments.get(str(body.get("PaymentId")))
        if payment is None or payment["Status"] not in ("CONFIRMED", "PARTIAL_REFUNDED"):
            return self._error("8", "Неверный статус транзакции")
        amount = int(body.get("Amount") or payment["Amount"] - payment["Refunded"])
        if amount > payment["Amount"] - payment["Refunded"]:
            return self._error("1018", "Сумма возврата больше суммы платежа")
        problem = self._receipt_error(body.get("Receipt"), amount)
        if problem:
            return self._error("309", problem)
        original = payment["Amount"] - payment["Refunded"]
        payment["Refunded"] += amount
        full = payment["Refunded"] >= payment["Amount"]
        payment["Status"] = "REFUNDED" if full else "PARTIAL_REFUNDED"
        answer = self._ok(
            payment,
            OriginalAmount=original,
            NewAmount=original - amount,
            ExternalRequestId=key,
        )
        if key:
            self.cancels[key] = answer
        return answer

    # the hosted payment form
    def pay_page(self, payment_id: str) -> str:
        payment = self.payments.get(payment_id)
        if payment is None:
            return self.page("Платёж не найден", "")
        return self.page(
            "Т-Банк · оплата (тест)",
            f"<p>Заказ {html.escape(payment['OrderId'])}</p>"
            f"<p class='sum'>{payment['Amount'] / 100:.2f} ₽</p>"
            "<form method='post'><button name='action' value='pay'>Оплатить</button>"
            "<button name='action' value='decline'>Отклонить</button></form>",
        )

    def pay_submit(self, payment_id: str, action: str) -> str:
        with self.lock:
            payment = self.payments[payment_id]
            if action == "pay":
                payment["Status"] = "CONFIRMED"
                if payment["Recurrent"]:
                    rebill = str(100000 + len(self.rebills))
                    self.rebills[rebill] = "ok"
                    payment["RebillId"] = rebill
                self.notify(payment)
                return payment["SuccessURL"]
            payment["Status"] = "REJECTED"
            self.notify(payment, ErrorCode="1051")
            return payment["FailURL"]

    def notify(self, payment: dict, **extra) -> None:
        """T-Bank's notification to NotificationURL (signed like a request), sent before the
        payer is redirected back; the answer must be OK."""
        if not (self.send_notifications and payment.get("NotificationURL")):
            return
        data = {
            "TerminalKey": self.terminal_key,
            "OrderId": payment["OrderId"],
            "Success": payment["Status"] == "CONFIRMED",
            "Status": payment["Status"],
            "PaymentId": int(payment["PaymentId"]),
            "ErrorCode": "0",
            "Amount": payment["Amount"],
            "CardId": 322264,
            "Pan": "430000******0777",
            "ExpDate": "1230",
            **extra,
        }
        if payment.get("RebillId"):
            data["RebillId"] = int(payment["RebillId"])
        data["Token"] = make_token(data, self.password)
        answer = httpx.post(payment["NotificationURL"], json=data, timeout=10)
        self.notifications.append((answer.status_code, answer.text))

    def receipt_notification(self, payment_id: str, *, kind: str = "Income", ok: bool = True,
                             amount: int | None = None) -> dict:  # fmt: skip
        """T-Bank's notification about a receipt (Status RECEIPT, Type Income or IncomeReturn),
        signed like the others; returned for a test to post to our webhook."""
        payment = self.payments[payment_id]
        data = {
            "TerminalKey": self.terminal_key,
            "OrderId": payment["OrderId"],
            "Success": ok,
            "Status": "RECEIPT",
            "PaymentId": int(payment_id),
            "ErrorCode": "0" if ok else "309",
            "Amount": payment["Amount"] if amount is None else amount,
            "FiscalNumber": 7,
            "ShiftNumber": 42,
            "ReceiptDatetime": "2026-11-23T09:00:00+03:00",
            "FnNumber": "9999078900012345",
            "EcrRegNumber": "0000000001001234",
            "FiscalDocumentNumber": 1000 + len(self.notifications),
            "FiscalDocumentAttribute": 3197354911,
            "Type": kind,
            "Receipt": payment.get("Receipt") or {},
        }
        data["Token"] = make_token(data, self.password)
        return data

    def handle(self, verb: str, path: str, body: bytes, headers) -> tuple | object:
        if path.startswith("/v2/") and verb == "POST":
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                return 400, {"error": "not json"}
            return self.api(path.removeprefix("/v2/").strip("/"), data)
        if path.startswith("/pay/"):
            payment_id = path.removeprefix("/pay/").strip("/")
            if verb == "GET":
                return 200, self.pay_page(payment_id)
            action = parse_qs(body.decode()).get("action", ["pay"])[0]
            return 303, {"Location": self.pay_submit(payment_id, action)}
        return 404, {"error": "not found"}

    def respx_handler(self, request: httpx.Request) -> httpx.Response:
        """For `respx.route(host=...).mock(side_effect=fake.respx_handler)`."""
        answer = self.handle(request.method, request.url.path, request.content, request.headers)
        if answer is LOST:
            raise httpx.ReadTimeout("fake: answer lost", request=request)
        status, data = answer
        return httpx.Response(status, json=data)


# --- YooKassa ---------------------------------------------------------------------------------


class FakeYooKassa(_Fake):
    """POST /v3/payments, GET /v3/payments/<id>, POST /v3/refunds, and the hosted checkout
    GET|POST /checkout/<id>. Idempotence-Key: a repeated key answers the first result."""

    def __init__(self, shop_id: str = "100500", secret_key: str = "test_secret"):
        super().__init__()
        self.shop_id = shop_id
        self.secret_key = secret_key
        self.payments: dict[str, dict] = {}
        self.methods: dict[str, str] = {}  # saved payment method id -> "ok" | "decline"
        self.refunds: dict[str, dict] = {}
        self.refunds_pending = False  # True: a new refund is "pending" until asked again
        self.keys: dict[tuple[str, str], str] = {}  # (route, Idempotence-Key) -> object id
        self.requests: list[tuple[str, dict]] = []  # (route, body) as received

    def _authorized(self, headers) -> bool:
        expected = base64.b64encode(f"{self.shop_id}:{self.secret_key}".encode()).decode()
        return headers.get("Authorization", "") == f"Basic {expected}"

    def api(self, verb: str, path: str, body: dict, headers) -> tuple | object:
        route = f"{verb} {path.split('/')[2] if path.count('/') >= 2 else path}"
        with self.lock:
            self.calls[route] += 1
            self.requests.append((route, body))
            if self.down:
                return 500, {"type": "error", "code": "internal_server_error"}
            fault = self._fault(route)
            if fault == "timeout":
                return LOST
            if fault == "500":
                return 500, {"type": "error", "code": "internal_server_error"}
            if not self._authorized(headers):
                return 401, {"type": "error", "code": "invalid_credentials"}
            if verb == "POST" and path == "/v3/payments":
                answer = self._create(body, headers.get("Idempotence-Key", ""))
            elif verb == "GET" and path.startswith("/v3/payments/"):
                payment = self.payments.get(path.rsplit("/", 1)[1])
                answer = (
                    (200, payment) if payment else (404, {"type": "error", "code": "not_found"})
                )
            elif verb == "POST" and path == "/v3/refunds":
                answer = self._refund(body, headers.get("Idempotence-Key", ""))
            else:
                answer = 404, {"type": "error", "code": "not_found"}
            return LOST if fault == "lost" else answer

    def _create(self, body: dict, key: str) -> tuple[int, dict]:
        if not key:
            return 400, {"type": "error", "code": "invalid_request", "parameter": "Idempotence-Key"}
        if ("payments", key) in self.keys:
            return 200, self.payments[self.keys[("payments", key)]]
        if _receipt_wrong(body.get("receipt"), body["amount"]["value"]):
            return 400, {"type": "error", "code": "invalid_request", "parameter": "receipt"}
        payment_id = str(uuid.uuid4())
        payment = {
            "id": payment_id,
            "status": "pending",
            "paid": False,
            "amount": body["amount"],
            "created_at": "2026-11-23T06:00:00.000Z",
            "description": body.get("description", ""),
            "metadata": body.get("metadata") or {},
            "recipient": {"account_id": self.shop_id, "gateway_id": "100700"},
            "refundable": False,
            "refunded_amount": {"value": "0.00", "currency": body["amount"]["currency"]},
            "test": True,
            "_save": bool(body.get("save_payment_method")),
            "_receipt": body.get("receipt"),
        }
        if body.get("receipt"):
            payment["receipt_registration"] = "pending"
        method_id = body.get("payment_method_id")
        if method_id:  # a renewal on a saved card: settles at once
            if self.methods.get(method_id) == "decline":
                payment["status"] = "canceled"
                payment["cancellation_details"] = {
                    "party": "payment_network",
                    "reason": "insufficient_funds",
                }
            else:
                self._succeed(payment, method_id)
        else:
            confirmation = body.get("confirmation") or {}
            payment["_return_url"] = confirmation.get("return_url", "")
            payment["confirmation"] = {
                "type": "redirect",
                "confirmation_url": f"{self.base_url}/checkout/{payment_id}",
            }
        self.payments[payment_id] = payment
        self.keys[("payments", key)] = payment_id
        return 200, payment

    def _succeed(self, payment: dict, method_id: str = "") -> None:
        method_id = method_id or f"pm-{uuid.uuid4().hex[:8]}"
        saved = bool(method_id in self.methods or payment.get("_save"))
        if saved:
            self.methods.setdefault(method_id, "ok")
        payment.update(
            status="succeeded",
            paid=True,
            refundable=True,
            payment_method={"type": "bank_card", "id": method_id, "saved": saved},
        )
        if payment.get("_receipt"):
            payment["receipt_registration"] = "succeeded"  # the fiscal data operator took it

    def _refund(self, body: dict, key: str) -> tuple[int, dict]:
        if not key:
            return 400, {"type": "error", "code": "invalid_request", "parameter": "Idempotence-Key"}
        if ("refunds", key) in self.keys:
            refund = self.refunds[self.keys[("refunds", key)]]
            refund["status"] = "succeeded"  # a pending refund is done by the time it is asked
            return 200, refund
        payment = self.payments.get(body.get("payment_id", ""))
        if payment is None or payment["status"] != "succeeded":
            return 400, {"type": "error", "code": "invalid_request"}
        cents = _cents(body["amount"]["value"])
        left = _cents(payment["amount"]["value"]) - _cents(payment["refunded_amount"]["value"])
        if cents > left:
            return 400, {"type": "error", "code": "invalid_request", "parameter": "amount"}
        if _receipt_wrong(body.get("receipt"), body["amount"]["value"]):
            return 400, {"type": "error", "code": "invalid_request", "parameter": "receipt"}
        refunded = _cents(payment["refunded_amount"]["value"]) + cents
        payment["refunded_amount"]["value"] = f"{refunded / 100:.2f}"
        refund = {
            "id": str(uuid.uuid4()),
            "payment_id": payment["id"],
            "status": "pending" if self.refunds_pending else "succeeded",
            "created_at": "2026-11-23T07:00:00.000Z",
            "amount": body["amount"],
        }
        if body.get("receipt"):
            refund["receipt_registration"] = "succeeded"
        self.refunds[refund["id"]] = refund
        self.keys[("refunds", key)] = refund["id"]
        return 200, refund

    def checkout_page(self, payment_id: str) -> str:
        payment = self.payments.get(payment_id)
        if payment is None:
            return self.page("Платёж не найден", "")
        return self.page(
            "ЮKassa · оплата (тест)",
            f"<p>{html.escape(payment['description'])}</p>"
            f"<p class='sum'>{payment['amount']['value']} ₽</p>"
            "<form method='post'><button name='action' value='pay'>Заплатить</button>"
            "<button name='action' value='decline'>Отклонить</button></form>",
        )

    def checkout_submit(self, payment_id: str, action: str) -> str:
        with self.lock:
            payment = self.payments[payment_id]
            if action == "pay":
                self._succeed(payment)
            else:
                payment.update(
                    status="canceled",
                    cancellation_details={"party": "issuer", "reason": "insufficient_funds"},
                )
            return payment.get("_return_url", "")

    def handle(self, verb: str, path: str, body: bytes, headers) -> tuple | object:
        if path.startswith("/v3/"):
            try:
                data = json.loads(body) if body else {}
            except ValueError:
                return 400, {"type": "error", "code": "invalid_request"}
            answer = self.api(verb, path.rstrip("/"), data, headers)
            if answer is LOST or not isinstance(answer[1], dict):
                return answer
            status, obj = answer
            return status, {k: v for k, v in obj.items() if not k.startswith("_")}
        if path.startswith("/checkout/"):
            payment_id = path.removeprefix("/checkout/").strip("/")
            if verb == "GET":
                return 200, self.checkout_page(payment_id)
            action = parse_qs(body.decode()).get("action", ["pay"])[0]
            return 303, {"Location": self.checkout_submit(payment_id, action)}
        return 404, {"error": "not found"}


def _receipt_wrong(receipt, value: str) -> bool:
    """YooKassa refuses a receipt without a contact or whose items (unit price × quantity)
    do not add up to the amount."""
    if receipt is None:
        return False
    customer = receipt.get("customer") or {}
    items = receipt.get("items") or []
    if not (customer.get("email") or customer.get("phone")) or not items:
        return True
    total = sum(_cents(i["amount"]["value"]) * int(float(i["quantity"])) for i in items)
    return total != _cents(value)


def _cents(value: str) -> int:
    units, _, fraction = str(value).partition(".")
    return int(units) * 100 + int((fraction + "00")[:2])


# --- serving ----------------------------------------------------------------------------------


class FakeServer:
    """Serve a fake on 127.0.0.1:<free port> in a thread: `with FakeServer(fake) as url:`."""

    def __init__(self, fake: _Fake):
        self.fake = fake
        self.httpd: ThreadingHTTPServer | None = None

    def __enter__(self) -> str:
        fake = self.fake

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def _serve(self, verb: str):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                answer = fake.handle(verb, self.path.split("?")[0], body, self.headers)
                if answer is LOST:
                    self.close_connection = True
                    return
                status, payload = answer
                if status in (302, 303):
                    self.send_response(status)
                    self.send_header("Location", payload["Location"])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if isinstance(payload, str):
                    raw, kind = payload.encode(), "text/html; charset=utf-8"
                else:
                    raw, kind = json.dumps(payload).encode(), "application/json"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        fake.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return fake.base_url

    def __exit__(self, *exc) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
