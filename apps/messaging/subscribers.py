"""Subscriptions to the events of the apps below (billing: plan upgraded, new period)."""
