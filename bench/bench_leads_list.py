"""The leads list API, filtered and paginated, on a tenant with 1,000,000 leads (in-process).

Figure: GET /api/v1/tenants/{t}/leads/ through the whole stack (DRF, API-key auth, the tenant
base view, filters, keyset page, serializer, JSON) for a mix of requests a person makes:
first page, status/source filters, a date range, search (pg_trgm), sorting by name, and pages
deep in the set followed by cursor, with the short-search (`q=zz`, `q=s`) and no-match cases.
Yardstick: a one-SELECT view (Django's test client → a plain view: one SELECT of the first 50
leads of the tenant, newest first, as JSON) timed right after every request, in the same run.
Goals: every scenario's p95 < 100 ms (issue #14), and the short search's too.
The 1,000,000 leads are generated in PostgreSQL (INSERT … SELECT generate_series) once and
reused by later runs.

Standalone: `.venv/bin/python bench/bench_leads_list.py`.
"""

from __future__ import annotations

import os
import sys
import time

from _common import Summary, report, setup_django, vacuum_analyze
from bench_leads_ingest import prepare_database

NAME = "leads_list: GET leads/ filtered + cursor pages vs a one-SELECT view, ms"
TENANT_SLUG = "bench-list-1m"
LEADS = int(os.environ.get("BENCH_LIST_LEADS", "1000000"))
ROUNDS = int(os.environ.get("BENCH_LIST_ROUNDS", "20"))
GOAL_P95_MS = 100.0

os.environ.setdefault("API_THROTTLE_USER", "1000000/minute")


def _sql_array(values: str) -> str:
    """Constant word lists as an SQL array literal (bench-only constants, no user input)."""
    return "ARRAY[" + ",".join(f"'{v}'" for v in values.split()) + "]"


_FIRST = _sql_array(
    "Анна Борис Вера Глеб Дина Егор Жанна Илья Ксения Лев Maria John Olga Peter Sofia Ivan"
)
_LAST = _sql_array(
    "Иванова Петров Смирнова Кузнецов Попова Волков Smith Brown Lebedev Orlova Novikov Morozova"
)
_COMPANY = _sql_array(
    "Альфа Бета Вектор Гранит Дельта Exness Globex Initech Umbrella Stark Wayne Soylent Hooli Acme"
)
_DOMAIN = _sql_array("mail.ru yandex.ru gmail.com example.com company.ru bk.ru inbox.ru")
_STATUS = _sql_array("new new new contacted contacted booked lost")
_SOURCE = _sql_array("widget widget api import telegram whatsapp email web_chat sms")
_TYPE = "ARRAY['Website Visit','Social Media','Referral','Event']"


def generate_leads(tenant, count: int) -> None:
    """`count` realistic leads for `tenant`, made by PostgreSQL itself (about a minute per
    million with every index in place)."""
    from django.db import connection, transaction

    from apps.leads.models import Customer, Product

    customers = [
        Customer.objects.create(tenant=tenant, external_ref=f"c{i}", name=f"Customer {i}").pk
        for i in range(20)
    ]
    products = [
        Product.objects.create(tenant=tenant, external_ref=f"p{i}", name=f"Product {i}").pk
        for i in range(10)
    ]
    sql = f"""
        INSERT INTO leads_lead (tenant_id, person_key, identity_key, external_id, name, email,
            phone, company, role, industry, company_size, website, status, source, lead_type,
            product_id, customer_id, list_id, assigned_to_id, consent_processing,
            consent_processing_at, consent_marketing, consent_marketing_at, consent_source,
            manual_fields, created_at, updated_at)
        SELECT %(tenant)s, 'e:' || x.email, c.id || ':' || p.id || ':e:' || x.email, '', x.name,
            x.email, '+7916' || lpad((g % 10000000)::text, 7, '0'),
            ({_COMPANY})[1 + (g / 7) % 14], '', '', '', '',
            ({_STATUS})[1 + g % 7], ({_SOURCE})[1 + (g / 3) % 9], ({_TYPE})[1 + (g / 5) % 4],
            p.id, c.id, NULL, NULL, g % 3 > 0, CASE WHEN g % 3 > 0 THEN x.at END, g % 5 = 0,
            CASE WHEN g % 5 = 0 THEN x.at END, '', '[]'::jsonb, x.at, x.at
        FROM generate_series(1, %(count)s) AS g
        CROSS JOIN LATERAL (
            SELECT ({_FIRST})[1 + g % 16] || ' ' || ({_LAST})[1 + (g / 16) % 12] AS name,
                'user' || g || '@' || ({_DOMAIN})[1 + g % 7] AS email,
                now() - make_interval(secs => g * 30) AS at
        ) AS x
        CROSS JOIN LATERAL (SELECT (%(customers)s::bigint[])[1 + g % 20] AS id) AS c
        CROSS JOIN LATERAL (SELECT (%(products)s::bigint[])[1 + (g / 20) % 10] AS id) AS p
    """
    sql = sql.replace(" % ", " %% ")  # modulo, not a placeholder
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            sql,
            {"tenant": tenant.pk, "count": count, "customers": customers, "products": products},
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")


def tenant_with_leads(slug: str, count: int):
    """The bench tenant `slug` holding exactly `count` leads (created once, then reused)."""
    from bench_leads_ingest import grant_tools

    from apps.leads.models import Lead
    from apps.tenants.models import Tenant

    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is not None and Lead.objects.for_tenant(tenant).count() == count:
        grant_tools(tenant)
        return tenant
    if tenant is not None:
        from bench_leads_ingest import drop_tenant

        drop_tenant(tenant)
    tenant = Tenant.objects.create(name=f"Bench {slug}", slug=slug)
    grant_tools(tenant)
    started = time.perf_counter()
    print(f"generating {count:,} leads for {slug} …", flush=True)
    generate_leads(tenant, count)
    print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return tenant


def api_client_for(tenant, role: str = "analyst"):
    from django.test import Client

    from apps.tenants.keys import api_key_create

    _key, raw = api_key_create(tenant=tenant, actor=None, name=f"bench {role}", role=role)
    return Client(HTTP_X_API_KEY=raw)


def scenarios(tenant) -> list[tuple[str, dict]]:
    from apps.leads.models import Customer

    customer = Customer.objects.for_tenant(tenant).order_by("pk").first()
    return [
        ("first page", {}),
        ("status=new", {"status": "new"}),
        ("source=telegram,sms + status=lost", {"source": "telegram,sms", "status": "lost"}),
        ("customer + product", {"customer": customer.external_ref, "product": "p3"}),
        ("last 7 days", {"created_from": _days_ago(7)}),
        ("a month, oldest first", {
            "created_from": _days_ago(200), "created_to": _days_ago(170), "ordering": "created_at"
        }),
        ("q=smith (trgm)", {"q": "smith"}),
        ("q=user12345 (rare, trgm)", {"q": "user12345@"}),
        ("q=Смирнова + status", {"q": "Смирнова", "status": "booked"}),
        ("q=zz (short, no match: prefix indexes)", {"q": "zz"}),
        ("q=s (short, prefix)", {"q": "s"}),
        ("q=zzqx (no match, trgm)", {"q": "zzqx"}),
        ("ordering=name", {"ordering": "name"}),
        ("ordering=status", {"ordering": "status"}),
        ("ordering=-status", {"ordering": "-status"}),
        ("limit=200", {"limit": "200"}),
    ]  # fmt: skip


def _days_ago(days: int) -> str:
    from datetime import timedelta

    from django.utils import timezone

    return (timezone.now() - timedelta(days=days)).date().isoformat()


def one_select_view(request, tenant_id):
    """The yardstick: one SELECT of a page of leads, as JSON, no framework on top."""
    from django.db import connection
    from django.http import JsonResponse

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, name, email, phone, company, status, source, created_at "
            "FROM leads_lead WHERE tenant_id = %s ORDER BY created_at DESC, id DESC LIMIT 50",
            [tenant_id],
        )
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return JsonResponse({"results": rows})


def measure(client, path: str, yardstick_path: str):
    """Every scenario's first page, then 3 `next` pages and one `previous`, ROUNDS times;
    the one-SELECT view right after each request."""
    samples: list[float] = []
    yardstick: list[float] = []
    by_name: dict[str, list[float]] = {}
    for _round in range(ROUNDS):
        for name, params in scenarios_cache:
            url = path
            for step in range(5):
                started = time.perf_counter()
                response = client.get(url, params if step == 0 else None)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{name}: {response.status_code} {response.content[:300]}")
                samples.append(elapsed)
                by_name.setdefault(name, []).append(elapsed)
                started = time.perf_counter()
                assert client.get(yardstick_path).status_code == 200
                yardstick.append((time.perf_counter() - started) * 1000)
                body = response.json()
                url = body["next"] if step < 3 else body["previous"]
                if not url:
                    break
    return samples, yardstick, by_name


scenarios_cache: list[tuple[str, dict]] = []


def deep_page_ms(client, path: str, tenant) -> float:
    """A cursor pointing into the middle of the million, as a bookmark would."""
    from apps.leads.models import Lead
    from apps.leads.selectors import _encode_cursor

    middle = Lead.objects.for_tenant(tenant).order_by("-created_at", "-id")[LEADS // 2]
    cursor = _encode_cursor([middle.created_at, middle.pk], False)
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        response = client.get(path, {"cursor": cursor})
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and len(response.json()["results"]) == 50
    return sorted(timings)[len(timings) // 2]


def install_yardstick(tenant) -> str:
    """Route the one-SELECT view in front of the project's URLs; returns its path."""
    from django.urls import clear_url_caches, get_resolver, path

    resolver = get_resolver()
    resolver.url_patterns.insert(0, path("bench/one-select/<uuid:tenant_id>/", one_select_view))
    clear_url_caches()
    return f"/bench/one-select/{tenant.pk}/"


def main() -> int:
    prepare_database()
    setup_django()
    from django.db import connection

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    tenant = tenant_with_leads(TENANT_SLUG, LEADS)
    # a million fresh rows (or the writes of the benches before): hint bits and visibility
    autovacuum = vacuum_analyze("leads_lead")
    print(f"autovacuum: {autovacuum} (leads_lead was vacuumed and analyzed either way)")
    client = api_client_for(tenant)
    path = f"/api/v1/tenants/{tenant.pk}/leads/"
    scenarios_cache[:] = scenarios(tenant)
    for _name, params in scenarios_cache:  # warm-up: plans, caches, the buffer pool
        client.get(path, params)
    yardstick_path = install_yardstick(tenant)
    samples, yardstick, by_name = measure(client, path, yardstick_path)
    worst = ("", 0.0)
    for name, values in by_name.items():
        print(f"  {name:40s} {Summary.of(values).line('ms')}")
        if Summary.of(values).p95 > worst[1]:
            worst = (name, Summary.of(values).p95)
    deep = deep_page_ms(client, path, tenant)
    print(f"  {'page in the middle of the million':40s} median {deep:8.3f} ms")
    one_select = Summary.of(yardstick)
    report(
        NAME,
        figure=f"API request latency over {len(by_name)} filter/sort scenarios × 5 cursor pages",
        figure_summary=Summary.of(samples),
        yardstick="a one-SELECT view (50 newest leads as JSON), after each request",
        yardstick_summary=one_select,
        unit="ms",
        goal=f"every scenario p95 < {GOAL_P95_MS:.0f} ms",
        goal_met=worst[1] < GOAL_P95_MS,
        note=f"{LEADS:,} leads; slowest scenario {worst[0]} (p95 {worst[1]:.1f} ms)",
    )
    for name in ("q=zz (short, no match: prefix indexes)", "q=zzqx (no match, trgm)"):
        summary = Summary.of(by_name[name])
        report(
            f"leads_list: {name.split(' (')[0]} on {LEADS:,} leads vs a one-SELECT view, ms",
            figure=f"GET leads/?{name.split(' (')[0]}, first page and cursor pages",
            figure_summary=summary,
            yardstick="a one-SELECT view (50 newest leads as JSON), same run",
            yardstick_summary=one_select,
            unit="ms",
            goal=f"p95 < {GOAL_P95_MS:.0f} ms",
            goal_met=summary.p95 < GOAL_P95_MS,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
