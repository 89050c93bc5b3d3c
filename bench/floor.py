"""The floor: a bare ASGI app under the same uvicorn settings as `sagemaker-emulator serve`, answering every request
with one fixed body after reading the request body. No server can answer faster on this machine and stack.

Run: python -m bench.floor --port N
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn

BODY = b'{"ModelArn":"arn:aws:sagemaker:us-east-1:123456789012:model/bench"}'
HEADERS = [
    (b"content-type", b"application/x-amz-json-1.1"),
    (b"x-amzn-requestid", b"00000000-0000-0000-0000-000000000000"),
    (b"content-length", str(len(BODY)).encode()),
]


async def app(
    scope: MutableMapping[str, Any],
    receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
    send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The emulator's own uvicorn configuration (protocol, loop, keep-alive, header deadline), with its defaults,
    # from a module that imports nothing else of the emulator: the floor's start-up is the machine's baseline.
    from emulator.protocol.uvicorn_config import uvicorn_config

    config = uvicorn_config(app, host=args.host, port=args.port, log_level="warning")
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
