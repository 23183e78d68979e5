"""ordersaga's services, their shared plumbing and the `ordersaga` command.

The saga itself is in `workflows/` (decisions) and `activities/` (its I/O); the HTTP API in
`api/`; the worker's composition in `worker.py`. Here: `contracts/` (the messages every service
shares), `services/` (the host and the services it runs: inventory, payment; the worker's orders
database), `rabbitmq/` and `database/` (plumbing), `temporal.py`, `settings.py`, `cli/`.
"""
