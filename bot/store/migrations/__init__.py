"""Alembic migrations of the store; they ship inside the package (``scrum-bot db upgrade``)."""
