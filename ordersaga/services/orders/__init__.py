"""The orders database, owned by the worker: each order's status as the saga decided it, and
its event log. Not a host service: the saga's activities write it directly."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
