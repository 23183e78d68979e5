"""The `ordersaga` CLI's own logic: arguments, the dev supervisor, the plain broker advice."""

import asyncio
import socket
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ordersaga.cli import supervisor as supervisor_module
from ordersaga.cli.main import app
from ordersaga.cli.orders import _line
from ordersaga.cli.rabbitmq import ensure_rabbitmq
from ordersaga.cli.supervisor import Supervisor
from ordersaga.cli.temporal_dev import dev_server_argv
from ordersaga.settings import DevSettings


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_item_is_sku_colon_quantity() -> None:
    assert _line("SKU-42:2") == {"sku": "SKU-42", "quantity": 2}
    for bad in ("SKU-42", "SKU-42:two", ":2", "SKU-42:-1"):
        with pytest.raises(typer.BadParameter):
            _line(bad)


def test_placing_an_order_with_no_api_running_says_so_plainly() -> None:
    api = f"http://127.0.0.1:{closed_port()}"
    result = CliRunner().invoke(
        app, ["order", "place", "--customer", "alice", "--item", "SKU-42:1", "--api", api]
    )
    assert result.exit_code == 2
    assert f"cannot reach the API at {api}" in result.output


def test_the_dev_server_gets_its_ports_state_file_and_search_attributes() -> None:
    settings = DevSettings(temporal_address="127.0.0.1:7233", temporal_ui_port=8233)
    argv = dev_server_argv(settings)
    assert argv[0].endswith("/temporal") and argv[1:3] == ["server", "start-dev"]
    flags = dict(zip(argv[3::2], argv[4::2], strict=False))
    assert flags["--port"] == "7233" and flags["--ui-port"] == "8233"
    assert flags["--db-filename"] == ".ordersaga/temporal.db"
    pragmas = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--sqlite-pragma"]
    assert pragmas == ["journal_mode=wal", "synchronous=normal"]
    dynamic = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--dynamic-config-value"]
    assert dynamic == ["history.transferProcessorMaxPollRPS=1000"]
    attributes = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--search-attribute"]
    assert attributes == [
        "CustomerId=Keyword",
        "OrderStatus=Keyword",
        "OrderTotal=Double",
        "RejectionReason=Keyword",
    ]


def test_without_a_broker_or_a_local_install_dev_says_how_to_get_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("ordersaga.cli.rabbitmq.shutil.which", lambda _name: None)
    assert ensure_rabbitmq(f"amqp://guest:guest@127.0.0.1:{closed_port()}/") is False
    output = capsys.readouterr().out
    assert "docker run -d --name rabbitmq -p 5672:5672 rabbitmq:3" in output
    assert "apt-get install rabbitmq-server" in output


async def test_children_output_is_prefixed_with_their_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    supervisor = Supervisor()
    code = "import sys; print('one'); print('x' * 70000); sys.stdout.write('last')"
    await supervisor.start("child", [sys.executable, "-c", code], {})
    assert await supervisor.first_exit() == "child"
    await supervisor.stop_all()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "    child | one"
    assert all(line.startswith("    child | ") for line in lines)
    assert "".join(line[12:] for line in lines[1:-1]) == "x" * 70000
    assert lines[-1] == "    child | last"


async def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_period(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(supervisor_module, "STOP_GRACE_SECONDS", 0.5)
    supervisor = Supervisor()
    ready = tmp_path / "ignoring"
    code = (
        "import pathlib, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"pathlib.Path({str(ready)!r}).touch(); time.sleep(60)"
    )
    await supervisor.start("stubborn", [sys.executable, "-c", code], {})
    async with asyncio.timeout(10):
        while not ready.exists():
            await asyncio.sleep(0.05)
    assert supervisor.exited() is None
    await supervisor.stop_all()
    assert supervisor.children["stubborn"].returncode == -9


def test_dev_gives_each_process_a_metrics_port_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    from ordersaga.cli.dev import SERVICES, child_env

    monkeypatch.delenv("ORDERSAGA_METRICS_PORT", raising=False)
    assert "ORDERSAGA_METRICS_PORT" not in child_env(DevSettings(), 0)
    settings = DevSettings(metrics_port=9464)
    ports = [child_env(settings, n)["ORDERSAGA_METRICS_PORT"] for n in range(len(SERVICES))]
    assert ports == ["9464", "9465", "9466", "9467", "9468"]
