"""Prometheus gauges of the staff business metrics (filled in below)."""
