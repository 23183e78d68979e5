"""`ordersaga codec-server`: the payload codec over HTTP, so that operators read encrypted
payloads in the Temporal Web UI ("Codec Server" setting, or the server's
`--ui-codec-endpoint`) and the CLI (`temporal workflow show --codec-endpoint ...`).

The Temporal codec server protocol: POST `.../encode` and `.../decode` take and return
`{"payloads": [...]}`, the `temporal.api.common.v1.Payloads` message in protobuf JSON; only the
last segment of the path counts, so it may be mounted under a prefix (e.g. a namespace).
Malformed bodies and payloads that cannot be decrypted answer 400. The browser calls it from
the UI's origin, so those origins are allowed by CORS (ORDERSAGA_CODEC_UI_ORIGINS).

It decrypts for whoever reaches it: it listens on 127.0.0.1 by default; anywhere else, put it
behind the same authentication as the UI.
"""

import logging
from collections.abc import Awaitable, Callable, Sequence

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from ordersaga import temporal
from ordersaga.codec import EncryptionCodec, PayloadDecryptionError
from ordersaga.settings import CodecServerSettings

log = logging.getLogger("ordersaga.codec_server")

Apply = Callable[[Sequence[Payload]], Awaitable[list[Payload]]]


class NoPayloadKeys(ValueError):
    """A codec server without keys would decode nothing."""


def create_app(settings: CodecServerSettings) -> FastAPI:
    codec = temporal.payload_codec(settings)
    if codec is None:
        raise NoPayloadKeys(
            "ORDERSAGA_PAYLOAD_KEYS is empty: configure the keys the workers use "
            "(docs/payload-encryption.md)"
        )
    app = FastAPI(
        title="ordersaga codec server",
        description="Encrypts and decrypts Temporal payloads for the Web UI and the CLI.",
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.codec_ui_origins,
        allow_methods=["POST"],
        allow_headers=["Content-Type", "X-Namespace", "Authorization"],
        allow_credentials=True,  # the UI's "include cross-origin credentials" option
    )
    _route(app, "encode", codec.encode)
    _route(app, "decode", codec.decode)
    app.state.codec = codec
    return app


def _route(app: FastAPI, name: str, apply: Apply) -> None:
    async def endpoint(request: Request) -> Response:
        return await _apply(apply, await request.body())

    endpoint.__name__ = name
    app.add_api_route(f"/{name}", endpoint, methods=["POST"])
    app.add_api_route(f"/{{prefix:path}}/{name}", endpoint, methods=["POST"], name=f"{name}_under")


async def _apply(apply: Apply, body: bytes) -> Response:
    try:
        payloads = json_format.Parse(body, Payloads())
    except (json_format.ParseError, UnicodeDecodeError) as error:
        return _bad_request(f"the body is not Payloads in protobuf JSON: {error}")
    try:
        result = Payloads(payloads=await apply(payloads.payloads))
    except PayloadDecryptionError as error:
        return _bad_request(str(error))
    return Response(json_format.MessageToJson(result), media_type="application/json")


def _bad_request(reason: str) -> Response:
    return Response(reason, status_code=400, media_type="text/plain")


def main() -> None:
    import uvicorn

    from ordersaga.telemetry.logs import configure_logging

    settings = CodecServerSettings()
    configure_logging(settings, "codec-server")
    try:
        app = create_app(settings)
    except NoPayloadKeys as missing:
        log.error("%s", missing)
        raise SystemExit(1) from None
    codec: EncryptionCodec = app.state.codec
    log.info(
        "codec server on http://%s:%d: key ids %s, encrypting with %s; UI origins %s",
        settings.codec_host,
        settings.codec_port,
        ", ".join(codec.key_ids),
        codec.current_key_id or "none (decode only)",
        ", ".join(settings.codec_ui_origins),
    )
    uvicorn.run(
        app,
        host=settings.codec_host,
        port=settings.codec_port,
        log_level=settings.log_level.lower(),
        log_config=None,  # uvicorn's lines go through configure_logging's handler
    )
