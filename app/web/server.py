"""How uvicorn serves the app: its h11 protocol, with Nagle's algorithm off on
every connection.

asyncio turns Nagle off only for sockets whose protocol number says TCP. The
listening socket uvicorn binds itself for several workers says 0, so its
connections kept Nagle on: a response written as headers then a small body
waited for the client's delayed ACK, 40 ms on Linux, on every small page or
fragment. Setting TCP_NODELAY here makes one and several workers behave alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol

PROTOCOL = "app.web.server:H11NoDelay"


class H11NoDelay(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):   # not TCP after all: nothing to turn off
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
