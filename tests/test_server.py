"""The served app's connections: Nagle off, whatever socket uvicorn listens on."""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from app.web.server import PROTOCOL


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Never called: the test only opens a connection."""


def _nodelay_of_accepted(http: str) -> int:
    """TCP_NODELAY of a connection accepted on the socket uvicorn binds for workers."""
    config = uvicorn.Config(_app, host="127.0.0.1", port=0, http=http, lifespan="off")
    config.load()
    sock = config.bind_socket()  # what `hydrascope serve --workers N` listens on

    async def main() -> int:
        made: list[Any] = []

        def protocol() -> asyncio.Protocol:
            made.append(config.http_protocol_class(
                config=config, server_state=ServerState(), app_state={}))
            return made[-1]

        server = await asyncio.get_running_loop().create_server(protocol, sock=sock)
        _reader, writer = await asyncio.open_connection(*sock.getsockname()[:2])
        for _ in range(200):
            if made and made[0].transport is not None:
                break
            await asyncio.sleep(0.01)
        value = made[0].transport.get_extra_info("socket").getsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY)
        writer.close()
        server.close()
        await server.wait_closed()
        return int(value)

    # A thread of its own: other tests (the browser suite) may leave an event loop
    # running in this one, and asyncio.run refuses to start inside it.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


def test_connections_on_the_workers_socket_have_nagle_off() -> None:
    # With Nagle on, a small response (headers, then a short body) waits for
    # the client's delayed ACK: 40 ms on every fragment.
    assert _nodelay_of_accepted(PROTOCOL) != 0
