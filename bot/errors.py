"""Errors we expect. Each carries a status for HTTP and never the user's own words."""

from __future__ import annotations


class IntakeError(Exception):
    """Base for errors we expect; the message is for logs and operators, never resident text."""

    status = 500


class CatalogueError(IntakeError):
    """The catalogue file is missing or invalid; the message names the file, entry and field."""


class SettingsError(IntakeError):
    """A setting from the environment is missing or invalid; the message names the variable."""


class StoreUnavailable(IntakeError):
    """The database could not be reached; the intake is kept by the caller and retried."""

    status = 503
