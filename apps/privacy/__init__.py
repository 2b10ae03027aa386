"""Personal-data rights and data lifecycle: export and erasure of one person's data (a lead or a
user) across every app's registered models, consents with their texts and withdrawal, per-company
retention, and closing a company (export, read-only for 30 days, then deleted for good)."""
