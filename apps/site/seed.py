"""The site's starting content and Fast Lead's own company, loaded idempotently by
`manage.py seed_site` (which `seed_demo` runs): two blog categories and a few posts."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.site.models import Category, Post, PostStatus

CATEGORIES = (
    ("guides", "Инструкции", "Guides", 0),
    ("product", "Продукт", "Product", 1),
)

POSTS = (
    {
        "slug": "kak-postavit-vidzhet-na-sajt",
        "language": "ru",
        "category": "guides",
        "title": "Как поставить форму заявок на сайт за пять минут",
        "summary": "Одна строка кода, разрешённый адрес сайта и проверка — по шагам.",
        "body": """Форма Fast Lead — это один скрипт. Он берёт тексты, цвета и поля из настроек
вашей компании и работает только на тех сайтах, которые вы разрешили.

## Шаг 1. Скопируйте код

В личном кабинете откройте раздел **Виджет** и скопируйте строку вида:

```html
<script src="https://…/static/widget/fastlead.js" data-key="pk_…" async></script>
```

## Шаг 2. Разрешите свой сайт

В настройках компании добавьте адрес сайта, например `https://example.ru`. Пока адрес не
добавлен, форма на сайте не откроется, а в консоли браузера появится подсказка, что делать.

## Шаг 3. Проверьте

Откройте страницу сайта, отправьте тестовую заявку и найдите её в списке лидов. Если тот же
человек напишет ещё раз с тем же e-mail или телефоном, новая заявка добавится к его лиду, а не
создаст дубль.
""",
    },
    {
        "slug": "chto-umeet-ai-obogashchenie",
        "language": "ru",
        "category": "product",
        "title": "Что заполняет AI-обогащение и чего оно не выдумывает",
        "summary": (
            "Компания, должность и отрасль — из того, что оставил лид. "
            "Без ключа — честный офлайн-режим."
        ),
        "body": """AI-обогащение читает поля самого лида — имя, e-mail, компанию, сообщение — и
заполняет **компанию**, **должность** и **отрасль**.

- С ключом Claude, который настроил оператор, модель делает вывод по этим полям.
- Без ключа работает офлайн-режим: он заполняет только то, что доказывает домен e-mail
  (например, компанию по корпоративному домену), а остальное помечает «не определено».

Каждый запуск виден в разделе обогащения: сколько лидов обработано и что заполнено.
""",
    },
    {
        "slug": "widget-in-five-minutes",
        "language": "en",
        "category": "guides",
        "title": "A lead form on your site in five minutes",
        "summary": "One line of code, an allowed site address and a test lead, step by step.",
        "body": """The Fast Lead form is one script. It takes its texts, colours and fields from
your company's settings and only runs on the sites you allow.

1. Copy the snippet from the **Widget** page of the dashboard.
2. Add your site's address (for example `https://example.com`) to the allowed sites.
3. Send a test request and find it in the lead list.

The same person writing again with the same e-mail or phone is added to their lead, not
stored as a duplicate.
""",
    },
)


@transaction.atomic
def seed_blog() -> int:
    """Create the seed categories and posts that are missing; returns how many posts."""
    categories = {}
    for slug, name_ru, name_en, order in CATEGORIES:
        categories[slug], _created = Category.objects.get_or_create(
            slug=slug, defaults={"name_ru": name_ru, "name_en": name_en, "sort_order": order}
        )
    created = 0
    for data in POSTS:
        if Post.objects.filter(slug=data["slug"]).exists():
            continue
        Post.objects.create(
            **{**data, "category": categories[data["category"]]},
            author_name="Fast Lead",
            status=PostStatus.PUBLISHED,
            published_at=timezone.now(),
        )
        created += 1
    return created
