"""Which spans start a trace: only those where a request enters the system.

The root sampler of `ParentBased(root=EntryPoints())`: a span with a parent follows its parent's
decision, and a span without one is kept only if it is of kind SERVER (an HTTP request, or an
activity of a saga whose start was not traced). The work the processes do on their own (the
outbox relays' polls and leases, the projector's head checks and heartbeats, the deliveries of
messages that carry no trace) starts no trace, so the traces are the orders'.
"""

from collections.abc import Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind, TraceState
from opentelemetry.util.types import Attributes
from typing_extensions import override


class EntryPoints(Sampler):
    """Keeps a root span of kind SERVER, drops every other root span."""

    @override
    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if kind == SpanKind.SERVER:
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, trace_state)
        return SamplingResult(Decision.DROP, None, trace_state)

    @override
    def get_description(self) -> str:
        return "EntryPoints"
