# One image for every ordersaga process: the entrypoint is the `ordersaga` command, and the
# container's command names the process (`api`, `worker`, `inventory`, `payment`, `projector`)
# or an operator's subcommand (`audit`, `projector status`, `dead-letters list`...).
# Build from the repository's root:  docker build -t ordersaga:v1 .   (docs/deploy.md)

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md worker.py ./
COPY ordersaga ./ordersaga
COPY workflows ./workflows
COPY activities ./activities
COPY api ./api
RUN python -m venv /opt/ordersaga \
    && /opt/ordersaga/bin/pip install --no-cache-dir --disable-pip-version-check .

FROM python:3.11-slim
COPY --from=build /opt/ordersaga /opt/ordersaga
RUN useradd --system --uid 10001 --create-home --home-dir /app ordersaga
ENV PATH=/opt/ordersaga/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
USER 10001
# The API's port, and the /metrics port the other processes serve (ORDERSAGA_METRICS_PORT).
EXPOSE 8000 9464
ENTRYPOINT ["ordersaga"]
CMD ["--help"]
