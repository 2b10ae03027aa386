"""The regression set: representative briefs with recorded answers
(apps/hyropage/tests/regression/), and the measures that make a model swap a measured
decision: schema validity, field lengths, language match and banned claims.

`recorded/<id>.json` holds a `generateContent` response body as Gemini answers it; its text
part must parse into `PageContent` and render. `hyropage_regression` (the management command)
runs the same briefs against models and prints `compare()`'s table.
"""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

import pydantic

from apps.hyropage.brief import Brief
from apps.hyropage.schema import PageContent

REGRESSION_DIR = Path(__file__).parent / "tests" / "regression"
# Claims a page must not make unless the brief itself states them.
BANNED = {
    "ru": [
        r"№\s?1", r"номер\s+один", r"лучш\w+", r"100\s?%", r"гарантир\w+\s+результат",
        r"без\s+риска", r"самы[йе]\s+дешёв\w+", r"лидер\w*\s+рынка", r"тысяч\w*\s+довольн\w+",
        r"лечит|вылеч\w+", r"выигра\w+\s+дел\w+",
    ],
    "en": [
        r"#\s?1\b", r"number\s+one", r"\bbest\b", r"100\s?%", r"guaranteed\s+results?",
        r"risk[- ]free", r"cheapest", r"market\s+leader", r"thousands\s+of\s+(happy|satisfied)",
        r"\bcures?\b", r"award[- ]winning",
    ],
}  # fmt: skip
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)


@dataclass(frozen=True)
class Case:
    id: str
    note: str
    brief: Brief


def cases(directory: Path = REGRESSION_DIR) -> list[Case]:
    rows = json.loads((directory / "briefs.json").read_text(encoding="utf-8"))
    return [Case(row["id"], row.get("note", ""), Brief(**row["brief"])) for row in rows]


def recorded_path(case: Case, directory: Path = REGRESSION_DIR) -> Path:
    return directory / "recorded" / f"{case.id}.json"


def response_text(body: dict) -> str:
    """The answer's text from a generateContent response body (thought parts skipped)."""
    parts = body["candidates"][0]["content"]["parts"]
    return "".join(p.get("text", "") for p in parts if not p.get("thought"))


def recorded_content(case: Case, directory: Path = REGRESSION_DIR) -> PageContent:
    body = json.loads(recorded_path(case, directory).read_text(encoding="utf-8"))
    return PageContent.model_validate_json(response_text(body))


def page_text(content: PageContent) -> str:
    data = content.model_dump()
    strings: list[str] = []

    def walk(value):
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    return "\n".join(strings)


def language_matches(content: PageContent, language: str) -> bool:
    """Mostly Cyrillic letters for a Russian page, mostly Latin for an English one (names
    from the brief may be in the other script)."""
    text = page_text(content)
    cyrillic, latin = len(_CYRILLIC.findall(text)), len(_LATIN.findall(text))
    total = cyrillic + latin or 1
    return cyrillic / total >= 0.7 if language == "ru" else latin / total >= 0.9


def banned_claims(content: PageContent, brief: Brief) -> list[str]:
    """Banned phrases in the page that the brief does not itself state."""
    source = f"{brief.product}\n{brief.details}".lower()
    found = []
    for pattern in BANNED.get(brief.language, BANNED["ru"]):
        for match in re.finditer(pattern, page_text(content), re.IGNORECASE):
            phrase = match.group(0).lower()
            if phrase not in source:
                found.append(phrase)
    return found


@dataclass
class Result:
    case: Case
    content: PageContent | None
    error: str = ""
    model: str = ""

    @property
    def valid(self) -> bool:
        return self.content is not None


def result_of_text(case: Case, text: str, model: str) -> Result:
    try:
        return Result(case, PageContent.model_validate_json(text), model=model)
    except pydantic.ValidationError as exc:
        return Result(case, None, error=f"schema: {exc.error_count()} errors", model=model)


@dataclass
class Summary:
    label: str
    results: list[Result] = field(default_factory=list)

    def _valid(self) -> list[Result]:
        return [r for r in self.results if r.valid]

    def _avg(self, pick) -> str:
        values = [pick(r.content) for r in self._valid()]
        return f"{statistics.mean(values):.0f}" if values else "—"

    def rows(self) -> dict[str, str]:
        valid = self._valid()
        language = sum(language_matches(r.content, r.case.brief.language) for r in valid)
        claims = sum(len(banned_claims(r.content, r.case.brief)) for r in valid)
        models = sorted({r.model for r in self.results if r.model})
        return {
            "briefs": str(len(self.results)),
            "schema valid": f"{len(valid)}/{len(self.results)}",
            "language match": f"{language}/{len(valid)}",
            "banned claims": str(claims),
            "title, chars (avg)": self._avg(lambda c: len(c.title)),
            "meta description, chars (avg)": self._avg(lambda c: len(c.meta_description)),
            "headline, chars (avg)": self._avg(lambda c: len(c.headline)),
            "value points (avg)": self._avg(lambda c: len(c.value_points)),
            "FAQ items (avg)": self._avg(lambda c: len(c.faq)),
            "failures": str(len(self.results) - len(valid)),
            "answered by": ", ".join(models) or "—",
        }


def compare(left: Summary, right: Summary) -> str:
    """A plain-text table: one row per measure, one column per model."""
    a, b = left.rows(), right.rows()
    width = max(len(k) for k in a)
    col = max(len(left.label), len(right.label), *(len(v) for v in [*a.values(), *b.values()]))
    lines = [f"{'':<{width}}  {left.label:<{col}}  {right.label:<{col}}"]
    lines.append(f"{'-' * width}  {'-' * col}  {'-' * col}")
    lines += [f"{k:<{width}}  {a[k]:<{col}}  {b[k]:<{col}}" for k in a]
    return "\n".join(lines)


def per_case_problems(summary: Summary) -> list[str]:
    out = []
    for r in summary.results:
        if not r.valid:
            out.append(f"{summary.label} {r.case.id}: {r.error}")
            continue
        if not language_matches(r.content, r.case.brief.language):
            out.append(f"{summary.label} {r.case.id}: language does not match")
        claims = banned_claims(r.content, r.case.brief)
        if claims:
            out.append(f"{summary.label} {r.case.id}: banned claims {claims}")
    return out
