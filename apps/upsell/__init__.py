"""Upsell radar: support tickets from helpdesks (signed webhook: generic JSON, Zendesk, Help
Scout; and the API), their classification by Claude against the company's own catalogue, upsell
cases with a transition table and history, human approval (staff console and dashboard), and
the outreach: an e-mail through the messaging outbox and a call through HYROCALL."""
