"""Benchmarks that print figures (`ordersaga projector bench`); never timed tests."""
