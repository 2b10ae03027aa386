"""Upsell radar: support tickets from a signed helpdesk webhook or the API, classified once per
content version by Claude through `apps.ai` against the company's catalogue (a labelled keyword
heuristic offline), upsell cases with a transition history, human approval (staff console and
dashboard), and outreach: an e-mail through the messaging outbox and a HYROCALL call.
"""
