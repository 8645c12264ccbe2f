"""A TCP proxy the test owns, between the app and the real PostgreSQL, that the test can cut.

``cut("reset")`` drops every connection and closes new ones at once, like a restarted server or a
broken link; ``cut("blackhole")`` keeps connections open but forwards nothing, like a network that
silently loses packets. ``restore()`` lets traffic through again; connections held during a black
hole are then closed, as the server would long have given up on them.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Literal

Mode = Literal["open", "reset", "blackhole"]


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port: int = self.listener.getsockname()[1]
        self.mode: Mode = "open"
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopped.set()
        self._thread.join()
        self.listener.close()
        self._close_all()

    def cut(self, mode: Mode = "reset") -> None:
        self.mode = mode
        if mode == "reset":
            self._close_all()

    def restore(self) -> None:
        held = self.mode == "blackhole"
        self.mode = "open"
        if held:
            self._close_all()

    def _close_all(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _track(self, *sockets: socket.socket) -> None:
        with self._lock:
            self._sockets.update(sockets)

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            if self.mode == "reset":
                client.close()
                continue
            if self.mode == "blackhole":
                self._track(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=2)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            self._track(client, upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if self.mode == "blackhole":
                    continue
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                if self.mode != "blackhole":
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
