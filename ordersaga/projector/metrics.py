"""The projector's metrics, recorded in the process's prometheus_client registry (served on
ORDERSAGA_METRICS_PORT by `ordersaga projector`): how far the read model is behind each source,
and the events it set aside in a build's dead letters."""

from collections.abc import Mapping
from typing import Protocol

from ordersaga.telemetry.metrics import PROJECTOR_DEAD_LETTERS, PROJECTOR_LAG
from ordersaga.telemetry.prometheus_meter import PROMETHEUS


class Progress(Protocol):
    """What a build knows of how far it is (a Projection)."""

    @property
    def heads(self) -> Mapping[str, int]: ...

    @property
    def positions(self) -> Mapping[str, int]: ...


def record_lag(projections: Mapping[int, Progress], serving: int | None) -> None:
    """Each source's head less the position of the build readers see (while none serves yet,
    the newest build's); a source whose head or position is not known yet is left out."""
    build = serving if serving in projections else max(projections, default=None)
    if build is None:
        return
    projection = projections[build]
    for source, head in projection.heads.items():
        if source in projection.positions:
            behind = max(head - projection.positions[source], 0)
            PROMETHEUS.set(PROJECTOR_LAG, behind, source=source)


def count_dead_letters(source: str, events: int) -> None:
    PROMETHEUS.count(PROJECTOR_DEAD_LETTERS, events, source=source)
