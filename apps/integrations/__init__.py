"""Outbound webhooks: a tenant's endpoints get signed events (lead created, updated, status
changed, merged; message received; meeting booked; enrichment finished) from an outbox on the
`messaging` queue, retried with backoff for 24 hours, in order per object. Subscribes to the
typed events of the apps below; nothing below names it. CRM sync (`crm/`): amoCRM and
Bitrix24 connections, new leads as contacts and deals, statuses kept in step both ways.
"""
