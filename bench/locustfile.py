"""Locust scenarios of bench/load_locust.py (issue #23): what a day of a tenant looks like.

- visitors submit the widget form (a new e-mail each time, the site's Origin);
- an integration posts batches of 50 leads through the API with an API key;
- operators, signed in, browse the overview, the leads list, a search and the inbox.

Runs in .venv-load (locust and gevent stay out of the project's venv); the driver passes the
tenant, its keys and an operator's login in LOAD_* variables.
"""

from __future__ import annotations

import itertools
import json
import os
import uuid

from locust import HttpUser, between, task

TENANT_ID = os.environ["LOAD_TENANT_ID"]
SLUG = os.environ["LOAD_TENANT_SLUG"]
PUBLISHABLE_KEY = os.environ["LOAD_PUBLISHABLE_KEY"]
API_KEY = os.environ["LOAD_API_KEY"]
ORIGIN = os.environ["LOAD_ORIGIN"]
OPERATOR_EMAIL = os.environ["LOAD_OPERATOR_EMAIL"]
OPERATOR_PASSWORD = os.environ["LOAD_OPERATOR_PASSWORD"]
BATCH = 50
_serial = itertools.count()


def _email(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:12]}-{next(_serial)}@load.example.com"


class Visitor(HttpUser):
    weight = 6
    wait_time = between(0.5, 2)

    @task
    def submit_widget(self):
        body = {
            "name": "Посетитель",
            "email": _email("visitor"),
            "message": "Перезвоните, пожалуйста",
            "consents": {"processing": True, "marketing": False},
            "page_url": f"{ORIGIN}/pricing",
        }
        self.client.post(
            f"/api/public/v1/widget/{PUBLISHABLE_KEY}/leads/",
            data=json.dumps(body),
            headers={"Content-Type": "application/json", "Origin": ORIGIN},
            name="widget: submit",
        )


class Integration(HttpUser):
    weight = 1
    wait_time = between(1, 3)

    @task
    def ingest_batch(self):
        items = [
            {"email": _email("api"), "name": "API lead", "source": "api"} for _ in range(BATCH)
        ]
        self.client.post(
            f"/api/v1/tenants/{TENANT_ID}/leads/",
            data=json.dumps(items),
            headers={"Content-Type": "application/json", "X-Api-Key": API_KEY},
            name=f"api: ingest {BATCH} leads",
        )


class Operator(HttpUser):
    weight = 3
    wait_time = between(1, 4)

    def on_start(self):
        self.client.get("/accounts/login/", name="operator: sign-in page")
        token = self.client.cookies.get("csrftoken", "")
        with self.client.post(
            "/accounts/login/",
            data={"login": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD},
            headers={"X-CSRFToken": token, "Referer": f"{self.host}/accounts/login/"},
            name="operator: sign in",
            catch_response=True,
        ) as response:
            if "/accounts/login/" in response.url:
                response.failure("not signed in")

    def _page(self, path: str, name: str) -> None:
        """A dashboard page; landing on the sign-in page instead is a failure."""
        with self.client.get(path, name=name, catch_response=True) as response:
            if "/accounts/login/" in response.url:
                response.failure("signed out")

    @task(3)
    def leads(self):
        self._page(f"/t/{SLUG}/leads/", "dashboard: leads")

    @task(1)
    def search(self):
        self._page(f"/t/{SLUG}/leads/?q=visitor", "dashboard: search")

    @task(1)
    def overview(self):
        self._page(f"/t/{SLUG}/", "dashboard: overview")

    @task(1)
    def inbox(self):
        self._page(f"/t/{SLUG}/inbox/", "dashboard: inbox")
