"""Demo leads for the demo tenant: a few thousand realistic leads (Faker, Russian and English)
across sources, statuses and lists, with actions and a timeline, plus the seed-002 sample.

Idempotent: every demo lead has an external id `demo-NNNNN`, so a second run finds the last one
and adds nothing; the seed-002 sample merges into itself by its lead ids. Everything goes
through `ingest_leads` (in batches) and the lead services, like real leads do.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

from django.utils import timezone
from faker import Faker

from apps.leads import services
from apps.leads.identity import InvalidPhone, normalize_phone
from apps.leads.ingestion import ingest_leads
from apps.leads.models import Customer, Lead, LeadList, LeadStatus, ListKind, Product, Source

DEMO_LEADS = 3000
BATCH = 1000
SEED_SAMPLE = Path(__file__).resolve().parent / "fixtures" / "seed_002_sample.json"
RANDOM_SEED = 2026

LISTS = (
    ("Горячие лиды", ListKind.REGULAR),
    ("Вебинар «Продажи 2026»", ListKind.REGULAR),
    ("Партнёры", ListKind.REGULAR),
    ("Импорт: выставка CRM Expo", ListKind.IMPORT),
)
CUSTOMERS = (
    ("customer-123", "Агентство «Север»"),
    ("customer-456", "Digital Bridge Ltd"),
    ("customer-789", "ООО «Точка роста»"),
)
PRODUCTS = (
    ("product-abc", "CRM «Старт»"),
    ("product-def", "Аудит сайта"),
    ("product-xyz", "Онлайн-курс по продажам"),
)
SOURCES = (
    (Source.WIDGET, 35),
    (Source.WEB_CHAT, 10),
    (Source.TELEGRAM, 12),
    (Source.WHATSAPP, 8),
    (Source.SMS, 3),
    (Source.EMAIL, 10),
    (Source.API, 12),
    (Source.IMPORT, 10),
)
STATUSES = (
    (LeadStatus.NEW, 45),
    (LeadStatus.CONTACTED, 25),
    (LeadStatus.BOOKED, 15),
    (LeadStatus.LOST, 15),
)
LEAD_TYPES = ("Website Visit", "Social Media", "Webinar", "Referral", "Cold Call", "Partner")
ACTIONS = (
    ("Page View", "Low"),
    ("Pricing Page", "Medium"),
    ("Download", "Medium"),
    ("Chat Message", "Medium"),
    ("Email Open", "Low"),
    ("Form Submission", "High"),
    ("Demo Request", "High"),
    ("Share", "Medium"),
)
INDUSTRIES = (
    "Розничная торговля",
    "Строительство",
    "IT",
    "Образование",
    "Медицина",
    "Логистика",
    "Retail",
    "Software",
    "Healthcare",
    "Finance",
)
SIZES = ("1-10", "11-50", "51-200", "201-500", "500+")
MESSAGES = (
    "Здравствуйте! Интересует демо на следующей неделе.",
    "Сколько стоит тариф для команды из 5 человек?",
    "Перезвоните, пожалуйста, после 15:00.",
    "Можно ли подключить Telegram и WhatsApp одновременно?",
    "Hi, could you send me the pricing for 10 seats?",
    "We'd like a call to discuss an integration with our CRM.",
)
NOTES = (
    "Позвонил, договорились о демо в четверг.",
    "Клиент просит коммерческое предложение на почту.",
    "Не дозвонился, повторить завтра утром.",
    "Interested in the annual plan, send the contract draft.",
)
US_AREA_CODES = (212, 312, 415, 617, 646, 713, 206, 305)


def _weighted(rng: random.Random, pairs) -> str:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


class _People:
    """Realistic people: 65 % Russian, 35 % English-speaking, with valid phones."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.ru, self.en = Faker("ru_RU"), Faker("en_US")
        self.ru.seed_instance(RANDOM_SEED)
        self.en.seed_instance(RANDOM_SEED + 1)

    def phone(self, russian: bool) -> str:
        rng = self.rng
        if russian:
            pairs = f"{rng.randint(10, 99)}-{rng.randint(10, 99)}"
            raw = f"+7 9{rng.randint(10, 99)} {rng.randint(200, 999)}-{pairs}"
        else:
            raw = (
                f"+1 {rng.choice(US_AREA_CODES)} {rng.randint(201, 899)} {rng.randint(1000, 9999)}"
            )
        try:
            return normalize_phone(raw)
        except InvalidPhone:
            return ""

    def person(self, index: int) -> dict:
        rng = self.rng
        russian = rng.random() < 0.65
        fake = self.ru if russian else self.en
        company = fake.company()
        person = {
            "name": fake.name(),
            "email": f"{fake.user_name()}.{index}@{fake.free_email_domain()}",
            "phone": self.phone(russian),
            "company": company,
        }
        if rng.random() < 0.15:
            person["email"] = ""  # phone-only leads exist too
        if not person["email"] and not person["phone"]:
            person["phone"] = self.phone(True)
        if rng.random() < 0.35:
            person["phone"] = "" if person["email"] else person["phone"]
        if rng.random() < 0.6:  # the rest stays "not determined" until enrichment
            person["role"] = fake.job()[:200]
            person["industry"] = rng.choice(INDUSTRIES)
            person["company_size"] = rng.choice(SIZES)
            person["website"] = f"https://{fake.domain_name()}"
        return person


def _actions(rng: random.Random, created) -> list[dict]:
    out, moment = [], created
    for _ in range(rng.randint(1, 4)):
        moment = min(moment + timedelta(minutes=rng.randint(1, 600)), timezone.now())
        action_type, level = rng.choice(ACTIONS)
        out.append(
            {"action_type": action_type, "timestamp": moment.isoformat(), "engagement_level": level}
        )
    return out


def _item(rng: random.Random, people: _People, index: int, lists: list[int]) -> dict:
    created = timezone.now() - timedelta(minutes=rng.randint(5, 120 * 24 * 60))
    source = _weighted(rng, SOURCES)
    item = {
        **people.person(index),
        "external_id": f"demo-{index:05d}",
        "source": source,
        "lead_type": rng.choice(LEAD_TYPES),
        "created_at": created.isoformat(),
        "actions": _actions(rng, created),
    }
    if rng.random() < 0.6:
        item["customer_id"] = rng.choice(CUSTOMERS)[0]
        item["product_id"] = rng.choice(PRODUCTS)[0]
    if source == Source.IMPORT:
        item["list_id"] = lists[-1]
    elif rng.random() < 0.4:
        item["list_id"] = rng.choice(lists[:-1])
    if source == Source.WIDGET:
        item["consent"] = {"processing": True, "marketing": rng.random() < 0.4}
    chat = source in (Source.WIDGET, Source.WEB_CHAT, Source.TELEGRAM, Source.WHATSAPP)
    if chat and rng.random() < 0.3:
        item["message"] = rng.choice(MESSAGES)
    return item


def _ensure_refs(tenant, admin) -> list[int]:
    for model, rows in ((Customer, CUSTOMERS), (Product, PRODUCTS)):
        for ref, name in rows:
            model.objects.for_tenant(tenant).get_or_create(
                tenant=tenant, external_ref=ref, defaults={"name": name}
            )
    ids = []
    for name, kind in LISTS:
        found = LeadList.objects.for_tenant(tenant).filter(name=name).first()
        if found is None:
            found = services.leadlist_create(tenant=tenant, actor=admin, name=name, kind=kind)
        ids.append(found.pk)
    return ids


def _work(rng: random.Random, tenant, lead_ids: list[int], operator, admin) -> None:
    """Statuses, assignments, notes and escalations, recorded in the timeline."""
    by_status: dict[str, list[int]] = {}
    for lead_id in lead_ids:
        by_status.setdefault(_weighted(rng, STATUSES), []).append(lead_id)
    for status, ids in by_status.items():
        if status != LeadStatus.NEW:
            services.leads_bulk(
                tenant=tenant, actor=operator, action="status", value=status, ids=ids
            )
    assigned = rng.sample(lead_ids, len(lead_ids) // 4)
    half = len(assigned) // 2
    services.leads_bulk(
        tenant=tenant, actor=admin, action="assign", value=operator.pk, ids=assigned[:half]
    )
    services.leads_bulk(
        tenant=tenant, actor=admin, action="assign", value=admin.pk, ids=assigned[half:]
    )
    for lead_id in rng.sample(lead_ids, min(60, len(lead_ids))):
        services.lead_note_add(
            tenant=tenant, actor=operator, lead_id=lead_id, body=rng.choice(NOTES)
        )
    for lead_id in rng.sample(lead_ids, min(15, len(lead_ids))):
        services.lead_escalate(tenant=tenant, actor=admin, lead_id=lead_id, assignee_id=operator.pk)


def seed_demo_leads(tenant, *, admin, operator, count: int | None = None) -> int:
    """Create the demo leads unless they are there already; returns how many were created.
    Call inside the tenant's scope."""
    count = count or DEMO_LEADS
    created = 0
    last = f"demo-{count - 1:05d}"
    if not Lead.objects.for_tenant(tenant).filter(external_id=last).exists():
        rng = random.Random(RANDOM_SEED)
        people = _People(rng)
        lists = _ensure_refs(tenant, admin)
        lead_ids: list[int] = []
        for start in range(0, count, BATCH):
            items = [_item(rng, people, i, lists) for i in range(start, min(start + BATCH, count))]
            outcome = ingest_leads(
                tenant=tenant, items=items, source=Source.API, actor=admin, count_quota=False
            )
            lead_ids += [r.lead_id for r in outcome.results if r.lead_id]
            created += outcome.summary["created"]
        _work(rng, tenant, sorted(set(lead_ids)), operator, admin)
    sample = json.loads(SEED_SAMPLE.read_text(encoding="utf-8"))
    outcome = ingest_leads(tenant=tenant, items=sample, source=Source.API, count_quota=False)
    created += outcome.summary["created"]
    return created
