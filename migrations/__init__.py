"""Alembic migrations: the only way Kettle's schema changes."""
