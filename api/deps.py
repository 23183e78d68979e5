"""What route handlers need, as Annotated dependencies."""

from typing import Annotated

from fastapi import Depends, Request

from api.sagas import Sagas
from api.stock import Stock
from settings.api import ApiSettings


def _sagas(request: Request) -> Sagas:
    sagas: Sagas = request.app.state.sagas
    return sagas


def _stock(request: Request) -> Stock:
    stock: Stock = request.app.state.stock
    return stock


def _settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


SagasDep = Annotated[Sagas, Depends(_sagas)]
StockDep = Annotated[Stock, Depends(_stock)]
SettingsDep = Annotated[ApiSettings, Depends(_settings)]
