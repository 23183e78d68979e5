"""`ordersaga projector bench` runs end to end on a small load (the figures are its output,
not asserted here): every phase reports, and the rebuild fails no read."""

from ordersaga.bench.read_model import Options, bench


async def test_the_read_model_benchmark_reports_every_phase(rabbitmq_url: str) -> None:
    figures = await bench(
        Options(events=700, rate=20, live_seconds=1, lost=2, readers=1, rabbitmq_url=rabbitmq_url)
    )
    assert figures["catch_up"]["events"] >= 700
    assert figures["live_lag"]["samples"] == figures["live_lag"]["events"] == 140
    assert figures["lost_event"]["samples"] == 2
    assert figures["rebuild"]["failed_reads"] == 0 and figures["rebuild"]["reads"] > 0
