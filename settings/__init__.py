"""One pydantic-settings class per process, read from ORDERSAGA_* environment variables."""
