"""What route handlers need, as Annotated dependencies."""

from typing import Annotated

from fastapi import Depends, Request

from api.sagas import OrderGateway
from api.stock import StockGateway
from ordersaga.settings import ApiSettings


def _orders(request: Request) -> OrderGateway:
    orders: OrderGateway = request.app.state.orders
    return orders


def _stock(request: Request) -> StockGateway:
    stock: StockGateway = request.app.state.stock
    return stock


def _settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


OrdersDep = Annotated[OrderGateway, Depends(_orders)]
StockDep = Annotated[StockGateway, Depends(_stock)]
SettingsDep = Annotated[ApiSettings, Depends(_settings)]
