"""Plans and the money a tenant owes for them: the plan catalogue and statuses, subscriptions
and their lifecycle (trial, read-only, blocked), renewals and dunning, plan changes with
proration, the credit ledger, usage meters and quotas (soft/hard limits, warnings), paid-action
usage charges, the billing history, and what a settled payment of each purpose does (it
registers its handlers with apps.payments). Rules owned here: what a plan allows, when a
subscription renews or lapses, how much a change or a paid action costs."""
