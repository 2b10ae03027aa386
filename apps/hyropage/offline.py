"""The labelled offline generator: with no Gemini key, a page is assembled from the brief by
templates. It invents nothing — every value point is a fact from the brief or a plain
statement of what the visitor can do; testimonials are placeholders. Generations it makes are
marked `offline` and shown as "template, not AI" in the dashboard."""

from __future__ import annotations

import re

from apps.ai.providers.base import StructuredRequest
from apps.hyropage.brief import Brief
from apps.hyropage.schema import META_MAX, TITLE_MAX, PageContent

TEXTS = {
    "ru": {
        "sub": "{product} для {audience}. Оставьте заявку — мы ответим и расскажем подробности.",
        "sub_short": "Для {audience}. Оставьте заявку — мы свяжемся с вами.",
        "meta": "{product}: для {audience}. Оставьте заявку на странице.",
        "generic": [
            ("Ответим на ваши вопросы", "Оставьте контакты в форме — мы свяжемся и расскажем всё, что важно именно вам."),
            ("Подберём вариант под задачу", "Расскажите о своей ситуации в заявке, и мы предложим подходящее решение."),
            ("Удобная связь", "Ответим по e-mail или телефону — как вам удобнее."),
        ],
        "fact": "Важно знать",
        "proof_quote": "Здесь будет отзыв вашего клиента. Замените этот текст настоящим отзывом.",
        "proof_author": "Имя клиента (пример)",
        "faq": [
            ("Как оставить заявку?", "Заполните форму на этой странице: укажите имя и телефон или e-mail."),
            ("Когда со мной свяжутся?", "Мы ответим на заявку в рабочее время и уточним детали."),
        ],
        "faq_booking": ("Можно ли сразу записаться на встречу?", "Да, выберите удобное время по ссылке на странице."),
        "cta": "Оставить заявку",
        "cta_note": "Это бесплатно и ни к чему не обязывает.",
    },
    "en": {
        "sub": "{product} for {audience}. Leave a request and we will get back with the details.",
        "sub_short": "For {audience}. Leave a request and we will get in touch.",
        "meta": "{product} for {audience}. Leave a request on this page.",
        "generic": [
            ("Answers to your questions", "Leave your contact details in the form and we will tell you what matters for you."),
            ("An option that fits", "Describe your situation in the request and we will suggest a suitable solution."),
            ("Contact the way you like", "We reply by e-mail or phone, whichever suits you."),
        ],
        "fact": "Good to know",
        "proof_quote": "Your customer's review goes here. Replace this text with a real review.",
        "proof_author": "Customer name (example)",
        "faq": [
            ("How do I leave a request?", "Fill in the form on this page with your name and a phone or e-mail."),
            ("When will you contact me?", "We answer requests during working hours and clarify the details."),
        ],
        "faq_booking": ("Can I book a meeting right away?", "Yes, pick a convenient time through the link on this page."),
        "cta": "Leave a request",
        "cta_note": "Free and without obligation.",
    },
}  # fmt: skip
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _facts(details: str) -> list[str]:
    facts = [part.strip(" -•*\t") for part in _SENTENCE.split(details or "")]
    return [fact for fact in facts if len(fact) >= 3][:6]


def offline_page(brief: Brief) -> PageContent:
    """A page built from the brief alone."""
    t = TEXTS.get(brief.language, TEXTS["ru"])
    product, audience = _cut(brief.product, 120), _cut(brief.audience, 120)
    points = [
        {"title": _cut(f"{t['fact']}: {fact}", 80), "text": _cut(fact, 300)}
        for fact in _facts(brief.details)
    ]
    for title, text in t["generic"]:
        if len(points) >= 3:
            break
        points.append({"title": title, "text": text})
    faq = [{"question": q, "answer": a} for q, a in t["faq"]]
    if brief.booking_url:
        faq.append({"question": t["faq_booking"][0], "answer": t["faq_booking"][1]})
    sub = t["sub"].format(product=product, audience=audience)
    if len(sub) > 260:
        sub = t["sub_short"].format(audience=_cut(audience, 150))
    company = f" — {brief.company}" if brief.company else ""
    return PageContent.model_validate(
        {
            "title": _cut(f"{product}{company}", TITLE_MAX),
            "meta_description": _cut(
                t["meta"].format(product=product, audience=audience), META_MAX
            ),
            "headline": _cut(product, 110),
            "subheadline": _cut(sub, 260),
            "value_points": points[:6],
            "social_proof": [
                {"quote": t["proof_quote"], "author": t["proof_author"], "placeholder": True}
            ],
            "faq": faq,
            "call_to_action": {"text": t["cta"], "note": t["cta_note"]},
        }
    )


def offline_handler(request: StructuredRequest) -> PageContent:
    """The offline provider's answer to a HyroPage request (registered in apps.py)."""
    return offline_page(Brief(**request.context))
