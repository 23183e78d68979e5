"""RabbitMQ plumbing (aio-pika): topology, request/reply, command consumers, the outbox relay."""
