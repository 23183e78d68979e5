"""`ordersaga dead-letters list|show|redrive|drop`: the services' dead-letter queues.

`list` and `show` leave the queues as they are. `redrive` sends a message back to its service's
command queue (the participant handles a command once by its command_id, so a command it
already handled is answered from its stored reply and changes nothing); `drop` removes it for
good after printing it. A message without a message id is named `body-<hash>`.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar
from urllib.parse import urlparse

import typer

from ordersaga.cli.operator import require_operator
from ordersaga.rabbitmq.dead_letters import SERVICES, DeadLetter, DeadLetters, NotFound
from ordersaga.settings import ProcessSettings

HELP = "The services' dead-letter queues: list and show them, redrive or drop a message."
app = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False)
T = TypeVar("T")
PREVIEW = 100


def _service(value: str | None) -> str | None:
    if value is not None and value not in SERVICES:
        raise typer.BadParameter(f"one of {', '.join(SERVICES)}")
    return value


Service = Annotated[str, typer.Argument(help="inventory or payment", callback=_service)]
MessageId = Annotated[str | None, typer.Argument(help="the dead letter's message id")]
Every = Annotated[bool, typer.Option("--all", help="every dead letter of the service")]


@app.command("list")
def list_command(
    service: Annotated[
        str | None, typer.Option(help="inventory or payment (default: both)", callback=_service)
    ] = None,
) -> None:
    """Every dead letter: service, message id, kind, reason, original queue, body (cut)."""
    found = _run(lambda letters: letters.list([service] if service else None))
    for letter in found:
        print(f"{letter.service}  {letter.message_id}  {letter.kind or '-'}")
        print(f"  reason: {letter.reason}")
        print(f"  from:   {letter.original_queue or '-'}")
        print(f"  body:   {_cut(letter.text)}")
    print(f"{len(found)} dead letter(s)")


@app.command()
def show(service: Service, message_id: str) -> None:
    """One dead letter in full: its properties, headers and whole body."""
    letter = _found(lambda letters: letters.show(service, message_id))
    for name, value in [
        ("service", letter.service),
        ("message id", letter.message_id),
        ("kind", letter.kind or "-"),
        ("reason", letter.reason),
        ("original queue", letter.original_queue or "-"),
        ("correlation id", letter.correlation_id or "-"),
        ("reply to", letter.reply_to or "-"),
        ("content type", letter.content_type or "-"),
        ("headers", json.dumps(dict(letter.headers), default=str)),
    ]:
        print(f"{name + ':':<16}{value}")
    print("body:")
    print(_pretty(letter.text))


@app.command()
def redrive(service: Service, message_id: MessageId = None, every: Every = False) -> None:
    """Send a dead letter (or --all) back to its command queue; dedup by command id."""
    require_operator()
    chosen = _one_or_all(message_id, every)

    def announce(letter: DeadLetter) -> None:
        print(f"redriving {letter.service} {letter.message_id} ({letter.kind or '-'})")

    done = _found(lambda letters: letters.redrive(service, chosen, announce))
    print(f"{len(done)} dead letter(s) redriven to the {service} command queue")


@app.command()
def drop(service: Service, message_id: MessageId = None, every: Every = False) -> None:
    """Remove a dead letter (or --all) for good; each is printed in full first."""
    require_operator()
    chosen = _one_or_all(message_id, every)

    def announce(letter: DeadLetter) -> None:
        print(f"dropping {letter.service} {letter.message_id} ({letter.kind or '-'})")
        print(f"  reason: {letter.reason}")
        print(f"  body:   {letter.text}")

    done = _found(lambda letters: letters.drop(service, chosen, announce))
    print(f"{len(done)} dead letter(s) dropped")


def _one_or_all(message_id: str | None, every: bool) -> str | None:
    if (message_id is None) == (not every):
        raise typer.BadParameter("give a MESSAGE_ID or --all (not both)")
    return message_id


def _found(work: Callable[[DeadLetters], Awaitable[T]]) -> T:
    try:
        return _run(work)
    except NotFound as missing:
        typer.echo(f"not found: {missing}", err=True)
        raise typer.Exit(1) from None


def _run(work: Callable[[DeadLetters], Awaitable[T]]) -> T:
    from ordersaga.rabbitmq.connection import connect
    from ordersaga.rabbitmq.topology import Topology

    settings = ProcessSettings()

    async def main() -> T:
        async with await connect(settings.rabbitmq_url, "ordersaga-dead-letters") as connection:
            return await work(DeadLetters(connection, Topology(settings.bus_prefix)))

    try:
        return asyncio.run(main())
    except ConnectionError as error:  # aiormq's AMQPConnectionError is one too
        where = urlparse(settings.rabbitmq_url)
        typer.echo(f"cannot reach RabbitMQ at {where.hostname}:{where.port}: {error}", err=True)
        raise typer.Exit(2) from None


def _cut(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW else flat[: PREVIEW - 3] + "..."


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2)
    except ValueError:
        return text
