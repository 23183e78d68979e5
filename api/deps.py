"""What route handlers need, as Annotated dependencies."""

from typing import Annotated

from fastapi import Depends, Request

from api.positions import PositionsGateway
from api.sagas import OrderGateway
from api.stock import StockGateway
from ordersaga.projector.reads import ReadModel
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


def _read_model(request: Request) -> ReadModel:
    read_model: ReadModel = request.app.state.read_model
    return read_model


def _positions(request: Request) -> PositionsGateway:
    positions: PositionsGateway = request.app.state.positions
    return positions


ReadModelDep = Annotated[ReadModel, Depends(_read_model)]
PositionsDep = Annotated[PositionsGateway, Depends(_positions)]
OrdersDep = Annotated[OrderGateway, Depends(_orders)]
StockDep = Annotated[StockGateway, Depends(_stock)]
SettingsDep = Annotated[ApiSettings, Depends(_settings)]
