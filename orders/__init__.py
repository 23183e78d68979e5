"""The orders database, owned by the worker: each order's status as the saga decided it."""
