"""Flows as data and the one engine that runs them for every channel."""
