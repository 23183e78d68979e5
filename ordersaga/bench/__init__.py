"""Benchmarks that print figures: `ordersaga bench` (the saga against Temporal's own floor) and
`ordersaga projector bench` (the read model)."""
