"""Local fakes of amoCRM (API v4 + OAuth 2.0) and Bitrix24 (REST through an incoming webhook),
stateful, on 127.0.0.1, speaking the documented formats:

amoCRM (https://www.amocrm.ru/developers/content/crm_platform/api-reference):
  POST /oauth2/access_token {client_id, client_secret, grant_type, code|refresh_token,
  redirect_uri} → {token_type, expires_in, access_token, refresh_token}; errors 400 with
  {hint, title, type, status, detail}. GET /api/v4/leads/pipelines → {_embedded: {pipelines:
  [{id, name, is_main, _embedded: {statuses: [{id, name, sort}]}}]}}. POST
  /api/v4/leads/complex [{name, pipeline_id, status_id, _embedded: {contacts, tags}}] →
  [{id, contact_id, company_id, request_id, merged}]. GET /api/v4/leads?query= → 204 when
  nothing. GET/PATCH /api/v4/leads/{id} → {id, name, status_id, pipeline_id, updated_at}.
  POST /api/v4/leads/{id}/notes. 401 {title: Unauthorized, status: 401} for a bad token.
  Accounts are path prefixes here: AMOCRM_ACCOUNT_URL = http://127.0.0.1:<port>/{subdomain}.

Bitrix24 (https://apidocs.bitrix24.ru/): POST /rest/{user}/{token}/{method}.json with JSON
  params → {"result": …, "time": {…}}; a wrong token → 401 {"error": "NO_AUTH_FOUND",
  "error_description": "Wrong authorization data"}. crm.category.list, crm.status.list,
  crm.contact.add, crm.deal.add, crm.deal.update, crm.deal.get, crm.deal.list.

Both can fail on purpose: `fail(times, status)` answers the next calls with an error, and
`lose_answers(times)` does the work and then answers 500 (an answer lost on the way).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class _Server:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, dict, object]] = []  # method, path, headers, body
        self.failures: list[int] = []
        self.lost = 0
        self._server = None

    def fail(self, times: int = 1, status: int = 500) -> None:
        self.failures.extend([status] * times)

    def lose_answers(self, times: int = 1) -> None:
        self.lost += times

    def calls(self, needle: str) -> list:
        return [r for r in self.requests if needle in r[1]]

    def __enter__(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _do(self):
                length = int(self.headers.get("Content-Length", 0) or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode()
                parts = urlsplit(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with owner.lock:
                    owner.requests.append((self.command, parts.path, headers, body))
                    failure = owner.failures.pop(0) if owner.failures else None
                if failure:
                    return self._send(failure, {"title": "Error", "status": failure})
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                with owner.lock:
                    status, answer = owner.route(self.command, parts.path, query, headers, body)
                    lose = owner.lost > 0 and status < 300 and self.command != "GET"
                    if lose:
                        owner.lost -= 1
                if lose:
                    return self._send(500, {"title": "Internal Server Error", "status": 500})
                return self._send(status, answer)

            def _send(self, status, answer):
                data = b"" if answer is None else json.dumps(answer).encode()
                self.send_response(status)
                if data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = _do

            def log_message(self, *args):
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()


# --- amoCRM -------------------------------------------------------------------------------

AMO_PIPELINES = [
    {
        "id": 100,
        "name": "Воронка",
        "is_main": True,
        "statuses": [
            (1001, "Первичный контакт", 10),
            (1002, "Переговоры", 20),
            (1003, "Встреча назначена", 30),
            (142, "Успешно реализовано", 10000),
            (143, "Закрыто и не реализовано", 11000),
        ],
    },
    {
        "id": 200,
        "name": "Партнёры",
        "is_main": False,
        "statuses": [
            (2001, "Новые", 10),
            (142, "Успешно реализовано", 10000),
            (143, "Закрыто и не реализовано", 11000),
        ],
    },
]
UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "https://httpstatus.es/401",
    "status": 401,
    "detail": "Unauthorized",
}


class FakeAmoCrm(_Server):
    def __init__(self, subdomain: str = "acme", client_id: str = "cid", client_secret: str = "cs"):
        super().__init__()
        self.subdomain, self.client_id, self.client_secret = subdomain, client_id, client_secret
        self.codes: set[str] = set()
        self.access: set[str] = set()
        self.refresh: set[str] = set()
        self.leads: dict[int, dict] = {}
        self.contacts: dict[int, dict] = {}
        self.notes: dict[int, list] = {}
        self.next_id = 5000
        self.clock = int(time.time())

    @property
    def account_url_template(self) -> str:
        return self.base_url + "/{subdomain}"

    def authorize(self) -> str:
        """The admin pressed "Allow" on amoCRM's page: the code it sends back."""
        code = "code_" + secrets.token_hex(8)
        self.codes.add(code)
        return code

    def expire_access_tokens(self) -> None:
        self.access.clear()

    def tick(self, seconds: int = 1) -> int:
        self.clock += seconds
        return self.clock

    def move(self, lead_id: int, status_id: int, *, at: int | None = None) -> dict:
        """A salesperson moves the deal in amoCRM: the webhook form amoCRM then sends."""
        lead = self.leads[lead_id]
        old = lead["status_id"]
        lead["status_id"], lead["updated_at"] = status_id, at or self.tick()
        return {
            "leads[status][0][id]": str(lead_id),
            "leads[status][0][status_id]": str(status_id),
            "leads[status][0][pipeline_id]": str(lead["pipeline_id"]),
            "leads[status][0][old_status_id]": str(old),
            "leads[status][0][last_modified]": str(lead["updated_at"]),
            "account[subdomain]": self.subdomain,
            "account[id]": "29000000",
        }

    def _tokens(self) -> dict:
        access, refresh = "at_" + secrets.token_hex(8), "rt_" + secrets.token_hex(8)
        self.access.add(access)
        self.refresh.add(refresh)
        return {
            "token_type": "Bearer",
            "expires_in": 86400,
            "access_token": access,
            "refresh_token": refresh,
        }

    def route(self, method, path, query, headers, body):
        prefix = f"/{self.subdomain}"
        if not path.startswith(prefix + "/"):
            return 404, {"title": "Not Found", "status": 404}
        path = path[len(prefix) :]
        if path == "/oauth2/access_token":
            return self._token(body or {})
        if headers.get("authorization", "").removeprefix("Bearer ") not in self.access:
            return 401, UNAUTHORIZED
        if path == "/api/v4/leads/pipelines" and method == "GET":
            return 200, {
                "_total_items": len(AMO_PIPELINES),
                "_embedded": {
                    "pipelines": [
                        {
                            "id": p["id"],
                            "name": p["name"],
                            "is_main": p["is_main"],
                            "_embedded": {
                                "statuses": [
                                    {"id": i, "name": n, "sort": s, "pipeline_id": p["id"]}
                                    for i, n, s in p["statuses"]
                                ]
                            },
                        }
                        for p in AMO_PIPELINES
                    ]
                },
            }
        if path == "/api/v4/leads/complex" and method == "POST":
            return 200, [self._complex(item) for item in body]
        if path == "/api/v4/leads" and method == "GET":
            found = [
                dict(lead)
                for lead in self.leads.values()
                if query.get("query", "\0") in lead["name"]
            ]
            return (204, None) if not found else (200, {"_embedded": {"leads": found}})
        parts = path.strip("/").split("/")  # api v4 leads {id} [notes]
        if len(parts) >= 4 and parts[:3] == ["api", "v4", "leads"] and parts[3].isdigit():
            lead = self.leads.get(int(parts[3]))
            if lead is None:
                return 204, None
            if len(parts) == 5 and parts[4] == "notes":
                self.notes.setdefault(lead["id"], []).extend(body)
                return 200, {"_embedded": {"notes": [{"id": 1, "entity_id": lead["id"]}]}}
            if method == "PATCH":
                lead.update({k: body[k] for k in ("status_id", "pipeline_id") if k in body})
                lead["updated_at"] = self.tick()
                return 200, {"id": lead["id"], "updated_at": lead["updated_at"]}
            return 200, {k: v for k, v in lead.items() if k != "_embedded"}
        return 404, {"title": "Not Found", "status": 404}

    def _token(self, body):
        if (
            body.get("client_id") != self.client_id
            or body.get("client_secret") != self.client_secret
        ):
            return 401, {
                "hint": "Client authentication failed",
                "title": "Unauthorized",
                "status": 401,
                "detail": "Client authentication failed",
            }
        grant = body.get("grant_type")
        if grant == "authorization_code" and body.get("code") in self.codes:
            self.codes.discard(body["code"])
            return 200, self._tokens()
        if grant == "refresh_token" and body.get("refresh_token") in self.refresh:
            self.refresh.discard(body["refresh_token"])
            return 200, self._tokens()
        return 400, {
            "hint": "Authorization code has expired",
            "title": "Bad Request",
            "type": "https://httpstatus.es/400",
            "status": 400,
            "detail": "Bad Request",
        }

    def _complex(self, item):
        self.next_id += 1
        contact_id = self.next_id
        self.contacts[contact_id] = item.get("_embedded", {}).get("contacts", [{}])[0]
        self.next_id += 1
        lead = {
            "id": self.next_id,
            "name": item["name"],
            "pipeline_id": item["pipeline_id"],
            "status_id": item["status_id"],
            "updated_at": self.tick(),
            "tags": item.get("_embedded", {}).get("tags", []),
            "_embedded": {"contacts": [{"id": contact_id}]},
        }
        self.leads[lead["id"]] = lead
        return {
            "id": lead["id"],
            "contact_id": contact_id,
            "company_id": None,
            "request_id": ["0"],
            "merged": False,
        }


# --- Bitrix24 -----------------------------------------------------------------------------

BITRIX_STAGES = {
    "DEAL_STAGE": [
        ("NEW", "Новая"),
        ("PREPARATION", "Подготовка документов"),
        ("EXECUTING", "В работе"),
        ("WON", "Сделка успешна"),
        ("LOSE", "Сделка провалена"),
    ],
    "DEAL_STAGE_3": [("C3:NEW", "Новая"), ("C3:WON", "Успешна"), ("C3:LOSE", "Провалена")],
}


class FakeBitrix24(_Server):
    def __init__(self, user: str = "1", token: str = "abc123token", app_token: str = "apptok"):
        super().__init__()
        self.user, self.token, self.app_token = user, token, app_token
        self.deals: dict[int, dict] = {}
        self.contacts: dict[int, dict] = {}
        self.next_id = 100
        self.clock = int(time.time())

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}/rest/{self.user}/{self.token}/"

    def _now(self) -> str:
        self.clock += 1
        return datetime.fromtimestamp(self.clock, tz=UTC).isoformat()

    def move(self, deal_id: int, stage_id: str, *, at: int | None = None) -> dict:
        """A salesperson moves the deal: the outbound event Bitrix24 then posts."""
        if at is not None:
            self.clock = at - 1
        self.deals[deal_id].update(STAGE_ID=stage_id, DATE_MODIFY=self._now())
        return {
            "event": "ONCRMDEALUPDATE",
            "data[FIELDS][ID]": str(deal_id),
            "ts": str(self.clock),
            "auth[domain]": "acme.bitrix24.ru",
            "auth[member_id]": "a223c6b3710f85df22e9377d6c4f7553",
            "auth[application_token]": self.app_token,
        }

    def route(self, method, path, query, headers, body):
        parts = path.strip("/").split("/")
        if len(parts) != 4 or parts[0] != "rest" or not parts[3].endswith(".json"):
            return 404, {"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Not found"}
        if (parts[1], parts[2]) != (self.user, self.token):
            return 401, {"error": "NO_AUTH_FOUND", "error_description": "Wrong authorization data"}
        name = parts[3].removesuffix(".json")
        handler = getattr(self, "m_" + name.replace(".", "_"), None)
        if handler is None:
            return 404, {
                "error": "ERROR_METHOD_NOT_FOUND",
                "error_description": "Method not found!",
            }
        result = handler(body or {})
        if isinstance(result, tuple):
            return result
        return 200, {"result": result, "time": {"start": time.time(), "duration": 0.01}}

    def m_crm_category_list(self, params):
        return {
            "categories": [
                {"id": 0, "name": "Общая", "isDefault": "Y", "entityTypeId": 2},
                {"id": 3, "name": "Опт", "isDefault": "N", "entityTypeId": 2},
            ]
        }

    def m_crm_status_list(self, params):
        entity = params.get("filter", {}).get("ENTITY_ID", "")
        return [
            {"ENTITY_ID": entity, "STATUS_ID": i, "NAME": n, "SORT": (k + 1) * 10}
            for k, (i, n) in enumerate(BITRIX_STAGES.get(entity, []))
        ]

    def m_crm_contact_add(self, params):
        self.next_id += 1
        self.contacts[self.next_id] = params.get("fields", {})
        return self.next_id

    def m_crm_deal_add(self, params):
        self.next_id += 1
        fields = params.get("fields", {})
        self.deals[self.next_id] = {**fields, "ID": str(self.next_id), "DATE_MODIFY": self._now()}
        return self.next_id

    def m_crm_deal_update(self, params):
        deal = self.deals.get(int(params.get("id", 0)))
        if deal is None:
            return 400, {"error": "", "error_description": "Not found"}
        deal.update(params.get("fields", {}), DATE_MODIFY=self._now())
        return True

    def m_crm_deal_get(self, params):
        deal = self.deals.get(int(params.get("id", 0)))
        if deal is None:
            return 400, {"error": "", "error_description": "Not found"}
        return {k: (str(v) if k in ("CATEGORY_ID", "CONTACT_ID") else v) for k, v in deal.items()}

    def m_crm_deal_list(self, params):
        wanted = params.get("filter", {})
        return [
            {"ID": d["ID"], "CONTACT_ID": str(d.get("CONTACT_ID", ""))}
            for d in self.deals.values()
            if all(str(d.get(k)) == str(v) for k, v in wanted.items())
        ]
