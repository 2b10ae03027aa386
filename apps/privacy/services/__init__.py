"""Writes of the privacy app: one module per job (people, consents, retention, closure)."""
