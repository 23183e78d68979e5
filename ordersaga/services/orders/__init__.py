"""The orders database, owned by the worker: each order's status as the saga decided it, and
its event log. The saga's activities write it directly (`repository.py`); the worker answers its
feed, head and Snapshot through the host's query consumer (`service.py`)."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
