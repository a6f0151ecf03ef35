"""Inbound SMS webhook."""
