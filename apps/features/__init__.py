"""Tools and entitlements: the tool registry in code, tenant overrides (grant, trial, revoke,
expiry) on top of the plan's defaults read from billing, the cached entitlement snapshot,
guards for views, API and tasks (`feature_locked` with an upsell answer), the Modules page,
and release flags (django-waffle with company whitelists). Rules owned here: which tool a
tenant may use right now and why."""
