"""RabbitMQ plumbing (aio-pika): the robust connection, the topology every process declares, and
the request/reply client the worker and the API send with."""
