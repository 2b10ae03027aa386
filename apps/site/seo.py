"""Titles, descriptions, canonical and alternate URLs, Open Graph and JSON-LD for site pages.

The site has one URL per page; the language comes from the visitor (cookie, browser) or from
`?lang=en` / `?lang=ru`, which is what the alternate links and the canonical URL of each
language version use."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

LANG_PARAM = "lang"
OG_LOCALES = {"ru": "ru_RU", "en": "en_US"}
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def absolute(path: str) -> str:
    """An absolute URL on the site's public address (settings.SITE_URL, never the Host
    header, which a client chooses)."""
    return f"{settings.SITE_URL}{path}"


def language_url(path: str, language: str) -> str:
    if language == settings.LANGUAGE_CODE:
        return absolute(path)
    return absolute(f"{path}?{LANG_PARAM}={language}")


def json_ld(data: dict) -> SafeString:
    """A <script type="application/ld+json"> block, safe inside HTML."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308


def organization() -> dict:
    data = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": "Fast Lead",
        "url": absolute("/"),
        "logo": absolute(static("img/logo.svg")),
    }
    if settings.SITE_CONTACT_EMAIL:
        data["email"] = settings.SITE_CONTACT_EMAIL
    return data


@dataclass
class Seo:
    title: str
    description: str
    path: str
    og_type: str = "website"
    noindex: bool = False
    structured: list[dict] = field(default_factory=list)

    @property
    def language(self) -> str:
        return (get_language() or settings.LANGUAGE_CODE)[:2]

    @property
    def canonical(self) -> str:
        return language_url(self.path, self.language)

    @property
    def alternates(self) -> list[tuple[str, str]]:
        return [(code, language_url(self.path, code)) for code, _name in settings.LANGUAGES]

    @property
    def x_default(self) -> str:
        return absolute(self.path)

    @property
    def og_locale(self) -> str:
        return OG_LOCALES.get(self.language, "ru_RU")

    @property
    def image(self) -> str:
        return absolute(static("img/og-image.png"))

    @property
    def json_ld(self) -> SafeString:
        blocks = [organization(), *self.structured]
        return mark_safe("".join(json_ld(block) for block in blocks))  # noqa: S308


def pricing_structured_data(cards, url: str) -> dict:
    """schema.org Product with one Offer per plan on sale (prices in major units)."""
    return {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": "Fast Lead",
        "description": "Lead capture widget, lead list, AI enrichment and billing for SMB.",
        "brand": {"@type": "Brand", "name": "Fast Lead"},
        "offers": [
            {
                "@type": "Offer",
                "name": card.name,
                "price": str(card.price_decimal),
                "priceCurrency": card.price.currency,
                "url": url,
                "availability": "https://schema.org/InStock",
            }
            for card in cards
        ],
    }
