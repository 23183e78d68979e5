"""The inventory participant: reserves stock for orders, releases it when a saga compensates,
commits it when an order completes, and takes new products and restocks."""
