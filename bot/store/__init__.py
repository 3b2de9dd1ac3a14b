"""Persistence: SQLAlchemy 2 async models and stores (SQLite by default, PostgreSQL in production)."""
