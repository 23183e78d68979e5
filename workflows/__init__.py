"""Temporal workflows: orchestration and decisions, no I/O."""
