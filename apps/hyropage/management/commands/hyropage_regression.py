"""Run HyroPage's regression set and compare two models:

    manage.py hyropage_regression                       # HYROPAGE_MODEL vs the recorded answers
    manage.py hyropage_regression --models gemini-2.5-flash gemini-2.5-flash-lite
    manage.py hyropage_regression --base-url http://127.0.0.1:9999   # a proxy or a fake
    manage.py hyropage_regression --models recorded offline          # no key needed
    manage.py hyropage_regression --record gemini-2.5-flash          # refresh the recordings

A model id runs the real Gemini API when GEMINI_API_KEY is set (each model pinned, no
fallback; calls are logged in apps.ai as purpose "hyropage_regression", without a tenant);
without a key it runs the labelled offline generator. "recorded" reads the stored answers,
"offline" always uses the template generator. Prints one table: schema validity, field
lengths, language match and banned claims per model, then the problems per brief.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from apps.ai.client import get_llm_client
from apps.hyropage import generation as gen
from apps.hyropage import regression as reg
from apps.hyropage.offline import offline_page

PURPOSE = "hyropage_regression"


class Command(BaseCommand):
    help = "Run the HyroPage regression briefs against two models and print a comparison."

    def add_arguments(self, parser):
        parser.add_argument("--models", nargs=2, metavar=("A", "B"))
        parser.add_argument("--base-url", default="", help="Gemini API base URL to use.")
        parser.add_argument("--only", nargs="*", default=[], help="Brief ids to run.")
        parser.add_argument("--record", metavar="MODEL", help="Store MODEL's answers.")

    def handle(self, *args, models=None, base_url="", only=(), record=None, **options):
        overrides = {"GEMINI_BASE_URL": base_url} if base_url else {}
        with override_settings(**overrides):
            cases = [c for c in reg.cases() if not only or c.id in only]
            if not cases:
                raise CommandError("No brief matches --only.")
            if record:
                return self._record(cases, record)
            left, right = models or (settings.HYROPAGE_MODEL, "recorded")
            summaries = [self._run(cases, left), self._run(cases, right)]
        self.stdout.write(reg.compare(*summaries))
        problems = [p for s in summaries for p in reg.per_case_problems(s)]
        self.stdout.write("\n" + ("\n".join(problems) if problems else "No problems per brief."))
        return None

    def _run(self, cases, label: str) -> reg.Summary:
        summary = reg.Summary(label)
        for case in cases:
            summary.results.append(self._one(case, label))
        return summary

    def _one(self, case, label: str) -> reg.Result:
        if label == "recorded":
            path = reg.recorded_path(case)
            if not path.exists():
                return reg.Result(case, None, error="no recording", model="recorded")
            body = json.loads(path.read_text(encoding="utf-8"))
            return reg.result_of_text(case, reg.response_text(body), body.get("modelVersion", ""))
        if label == "offline":
            return reg.Result(case, offline_page(case.brief), model="offline")
        client = get_llm_client(gen.PROVIDER)
        outcome = gen.generate(
            case.brief, tenant_id=None, client=client, models=[label], purpose=PURPOSE
        )
        if outcome.content is None:
            error = outcome.error
            return reg.Result(case, None, error=f"{error.code}: {error.message}"[:200], model=label)
        model = "offline (no GEMINI_API_KEY)" if outcome.offline else outcome.model_used
        return reg.Result(case, outcome.content, model=model)

    def _record(self, cases, model: str) -> None:
        client = get_llm_client(gen.PROVIDER)
        if client.offline:
            raise CommandError("Recording needs GEMINI_API_KEY (the real API or --base-url).")
        for case in cases:
            outcome = gen.generate(
                case.brief, tenant_id=None, client=client, models=[model], purpose=PURPOSE
            )
            if outcome.content is None:
                self.stderr.write(f"{case.id}: {outcome.error.code}, not recorded")
                continue
            body = _response_body(outcome.content.model_dump_json(), outcome.model_used)
            reg.recorded_path(case).write_text(
                json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
            )
            self.stdout.write(f"{case.id}: recorded from {outcome.model_used}")


def _response_body(text: str, model: str) -> dict:
    return {
        "candidates": [
            {"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP"}
        ],
        "modelVersion": model,
    }
