"""Channels: a tenant's connected e-mail, SMS, Telegram and WhatsApp accounts.

Each channel holds the tenant's own provider credentials (encrypted at rest with
apps.core.crypto, write-only in the API, masked in the UI and admin, never logged), its public
settings and its connection status. One adapter per provider (apps/channels/providers/)
implements the interface conversations build on: verify credentials, send, parse inbound
messages and delivery statuses, verify a webhook. "Test connection" stores connected/error
with the provider's own message. Sits above leads (it will find leads by identity) and below
the feature group.
"""
