"""HyroPage: AI landing pages from a short brief, generated on Gemini through `apps.ai` (model
from `HYROPAGE_MODEL`, fallbacks tried in order; a labelled template generator offline),
validated by a schema and rendered by our templates; drafts, versions, publishing at
`/p/{company}/{page}/` with the company's widget (leads with source `hyropage`), views and
conversions per page, and a regression set that compares models.
"""
