"""Payments: gateways (sandbox, YooKassa, T-Bank, Stripe), payments, refunds, provider
webhooks and invoices — the layer below billing (DESIGN.md, "Layout and layers").

Payments never imports billing. What a payment is for is its *purpose* (`Payment.kind`:
plan, renewal, proration, usage, invoice); billing registers at start-up what happens when a
payment of each purpose succeeds, fails or is refunded (`apps.payments.purposes`), and who the
buyer on an invoice is (`apps.payments.invoicing`).

The one model-level reference upwards: `Payment.subscription` and `Payment.plan` are lazy
foreign keys to `billing.Subscription` and `billing.Plan`, kept so that the database keeps its
integrity and the `payment_one_charge_per_period` constraint. Payments' code treats them as
opaque ids (`subscription_id`, `plan_id`) and never follows them.
"""
