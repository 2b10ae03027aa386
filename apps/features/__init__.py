"""Tools and entitlements: the tool registry in code (a tool is live once its pages and
endpoints exist, checked by `features.E001`; the rest are "coming soon" and sold nowhere),
tenant overrides (grant, trial, revoke, expiry) on top of the plan's defaults read from
billing, the cached entitlement snapshot, guards for views, API and tasks (`feature_locked`
with an upsell answer), the locked state of a tool's buttons, the Modules page, and release
flags (django-waffle with company whitelists). Rules owned here: which tool exists, and which
a tenant may use right now and why."""
