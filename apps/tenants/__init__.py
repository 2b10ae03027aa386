"""Tenancy: companies (tenants), memberships and roles, invitations, the tenant scope that
fails closed (`scoping`), tenant-aware API and page bases (`api_base`, `access`, `dashboard`),
`tenant_task` for Celery, tenant API keys and widget publishable keys, CORS per tenant, the
audit log, and the interfaces upper apps fill for tenant limits. Rules owned here: who may see
which company's data, which role may do what, the last admin, invitation tokens."""
