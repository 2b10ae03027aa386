"""Pay-per-lead billing of a tenant's own customers: versioned rate cards (tenant, customer,
lead type), the valuation engine that prices each lead action with duplicate and cap savings
and a deterministic order, monthly periods closed with adjustments, and reports as JSON, CSV
and PDF (API, dashboard drill-down, `manage.py billing_report`, admin "why was this billed?").
Rules owned here: what one lead action costs a customer and why."""
