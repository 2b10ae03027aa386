"""Messaging: conversations with leads through the tenant's channels.

Outbound messages are stored first (the outbox, `outbox.queue_message`) and sent by a task on
the `messaging` queue; inbound webhooks are verified per provider, answered at once and
processed on the same queue (find or create the lead, append the message). Delivery status
callbacks and opt-outs (the suppression list) live here too. Sits above channels and below the
feature group; the pages (inbox, lead conversation) are built on services.py / selectors.py.
"""
