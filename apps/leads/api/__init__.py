"""The leads REST API (/api/v1/tenants/{tenant_id}/…): thin DRF views over services/selectors."""
