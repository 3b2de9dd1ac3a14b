"""Fixtures for the pure core (the helpers live in core_kit.py)."""

from core_kit import bot, catalogue, router  # noqa: F401 - pytest fixtures
