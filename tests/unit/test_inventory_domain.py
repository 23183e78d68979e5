from ordersaga.contracts.orders import OrderLine, PricedLine
from ordersaga.contracts.rejections import RejectionCode
from ordersaga.services.inventory.domain import (
    already_released,
    merge_lines,
    out_of_stock,
    total_cents,
    unknown_sku,
)


def test_repeated_skus_merge_into_one_line_per_sku_in_sku_order() -> None:
    items = [
        OrderLine(sku="SKU-B", quantity=2),
        OrderLine(sku="SKU-A", quantity=1),
        OrderLine(sku="SKU-B", quantity=3),
    ]

    assert merge_lines(items) == [
        OrderLine(sku="SKU-A", quantity=1),
        OrderLine(sku="SKU-B", quantity=5),
    ]


def test_total_is_unit_price_times_quantity_summed() -> None:
    lines = [
        PricedLine(sku="SKU-A", quantity=2, unit_price_cents=1890),
        PricedLine(sku="SKU-B", quantity=1, unit_price_cents=12900),
    ]

    assert total_cents(lines) == 2 * 1890 + 12900
    assert total_cents([]) == 0


def test_rejections_name_the_sku_and_the_shortfall() -> None:
    short = out_of_stock("SKU-LAST", available=1, requested=2)
    unknown = unknown_sku("SKU-X")
    late = already_released("o-1")

    assert (short.code, short.reason) == (
        RejectionCode.OUT_OF_STOCK,
        "only 1 of SKU-LAST available, 2 requested",
    )
    assert (unknown.code, unknown.reason) == (RejectionCode.UNKNOWN_SKU, "unknown SKU SKU-X")
    assert late.code == RejectionCode.ALREADY_COMPENSATED
    assert "o-1" in late.reason
