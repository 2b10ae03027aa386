"""A brief (what the tenant tells us) and the prompt built from it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from apps.hyropage.schema import HEADLINE_MAX, META_MAX, TITLE_MAX

LANGUAGE_NAMES = {"ru": "Russian", "en": "English"}

SYSTEM = (
    "You write the text of one landing page for a small business. Answer only with JSON that "
    "matches the given schema. Write every field in {language}. Use only the facts in the "
    "brief: never invent prices, numbers of customers, awards, guarantees, ratings or "
    "certifications. Social proof items are placeholders the business will replace: write "
    "them as clearly illustrative examples and set placeholder to true. Keep the title at "
    f"most {TITLE_MAX} characters, the meta description at most {META_MAX}, the headline at "
    f"most {HEADLINE_MAX}. No HTML, no Markdown."
)


@dataclass(frozen=True)
class Brief:
    product: str
    audience: str
    tone: str = "friendly"
    language: str = "ru"
    booking_url: str = ""
    details: str = ""
    company: str = ""
    personal_for: str = ""  # a personal page: the lead's name and company

    @classmethod
    def of_page(cls, page, company: str = "") -> Brief:
        lead = page.lead if page.lead_id else None
        return cls(
            personal_for=", ".join(filter(None, [lead.name, lead.company])) if lead else "",
            product=page.product,
            audience=page.audience,
            tone=page.tone,
            language=page.language,
            booking_url=page.booking_url,
            details=page.details,
            company=company,
        )

    def as_context(self) -> dict:
        return asdict(self)

    def system(self) -> str:
        return SYSTEM.format(language=LANGUAGE_NAMES.get(self.language, "Russian"))

    def prompt(self) -> str:
        lines = [
            f"Company: {self.company or '(not given)'}",
            f"Product or offer: {self.product}",
            f"Audience: {self.audience}",
            f"Tone: {self.tone}",
            f"Language: {LANGUAGE_NAMES.get(self.language, 'Russian')}",
            "Call to action: leave a request in the form on the page"
            + (" or book a meeting" if self.booking_url else ""),
        ]
        if self.personal_for:
            lines.append(
                f"A personal page for one person: {self.personal_for}. Address them by name "
                "in the headline; say nothing else about them."
            )
        if self.details:
            lines.append(f"Facts to use (and nothing else):\n{self.details}")
        return "\n".join(lines)
