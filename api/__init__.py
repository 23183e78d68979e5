"""The HTTP API: starts, queries and updates sagas; owns no data."""
