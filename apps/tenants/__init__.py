"""Tenancy: companies (tenants), memberships and roles, invitations, the company named at
sign-up created once the e-mail is confirmed (`signup`), the tenant scope that fails closed
(`scoping`), tenant-aware API and page bases (`api_base`, `access`, `dashboard`),
`tenant_task` for Celery, tenant API keys and widget publishable keys, CORS per tenant, the
audit log, and the interfaces upper apps fill for company and member limits (owned companies
only; 403 with the upgrade path). Rules owned here: who may see which company's data, which
role may do what, the last admin, invitation tokens."""
