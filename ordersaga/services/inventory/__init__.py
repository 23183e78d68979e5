"""The inventory participant: reserves stock for orders and releases it when a saga compensates."""
