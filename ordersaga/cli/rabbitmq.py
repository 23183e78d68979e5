"""`ordersaga dev` needs a broker: use the one running, start a local install, or say how."""

import shutil
import subprocess
from urllib.parse import urlparse

from ordersaga.cli.say import say
from ordersaga.waiting import port_open, wait_for_port

START_SECONDS = 60
HOW_TO_START = """RabbitMQ is not reachable at {where}. Start one, for example:
    docker run -d --name rabbitmq -p 5672:5672 rabbitmq:3
    sudo apt-get install rabbitmq-server && sudo rabbitmq-server -detached
or point ORDERSAGA_RABBITMQ_URL at yours."""


def ensure_rabbitmq(url: str) -> bool:
    """True when the broker answers; never waits longer than START_SECONDS."""
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 5672
    if port_open(host, port):
        return True
    server = shutil.which("rabbitmq-server")
    local = host in ("127.0.0.1", "localhost") and port == 5672
    if server and local and _start_detached(server):
        say(f"RabbitMQ is not running; started {server} -detached, waiting for :{port}")
        if wait_for_port(host, port, START_SECONDS):
            return True
        say(f"the local rabbitmq-server did not open :{port} in {START_SECONDS}s")
    say(HOW_TO_START.format(where=f"{host}:{port}"))
    return False


def _start_detached(server: str) -> bool:
    try:
        return subprocess.run([server, "-detached"], check=False, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired) as error:
        say(f"could not start {server}: {error}")
        return False
