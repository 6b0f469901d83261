"""Outbox rows written with the change they announce, delivered after commit."""
