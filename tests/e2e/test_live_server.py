"""The browser tests' server closes what it opens, even when a browser drops a connection."""

import gc
import socket
import struct
import sys
import threading
import time

from tests.e2e.conftest import start_server, stop_server

# A small file (the favicon every page asks for) and a large one (sent in several chunks).
STATIC = ["/static/img/favicon.svg", "/static/css/shop.css"]


def drop_after_the_first_byte(port: int, path: str) -> None:
    """Ask for `path`, wait until the answer starts, then reset the connection, as a browser
    does when it abandons a request (SO_LINGER 0 makes close() send a reset, not a FIN)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        assert s.recv(1) == b"H"  # the server has opened the file and is sending it
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def wait_for_threads(count: int, timeout: float = 10) -> None:
    """Wait until the server's request threads have finished (they are daemon threads that
    `shutdown` does not wait for)."""
    deadline = time.monotonic() + timeout
    while threading.active_count() > count and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_dropped_connection_leaves_no_static_file_open(app, monkeypatch):
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    before = threading.active_count()
    server = start_server(app)
    try:
        for _ in range(30):
            for path in STATIC:
                drop_after_the_first_byte(server.server_port, path)
        # The server still answers in full afterwards.
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as s:
            s.sendall(b"GET /static/img/favicon.svg HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            answer = b"".join(iter(lambda: s.recv(65536), b""))
        assert answer.startswith(b"HTTP/1.1 200") and answer.rstrip().endswith(b"</svg>")
    finally:
        stop_server(server)
    wait_for_threads(before)
    gc.collect()
    assert [repr(u.exc_value) for u in unraisable] == []
