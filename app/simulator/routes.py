"""Simulator pages."""
