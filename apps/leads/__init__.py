"""Leads and everything that brings them in or out: lists, leads, products and customers,
actions and the timeline, one identity function (dedupe by e-mail/phone), ingestion (COPY
batches, single submissions, quotas checked per item), the public widget API and its script
(submissions queued in the database and stored by a worker in batches),
CSV/XLSX import with mapping and progress, streaming CSV/XLSX export, API keys pages. Rules
owned here: what a valid lead is, when two submissions are the same person, who may see and
change a lead."""
