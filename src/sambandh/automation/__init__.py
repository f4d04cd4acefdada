"""Automation: delivery of domain events from the outbox (leases, retries, dead letters),
webhooks signed per Standard Webhooks, and, on top, workflow rules."""
