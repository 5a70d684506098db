"""The messages between the server and a model worker, over a multiprocessing.connection.Connection.

The connection frames messages itself (``send_bytes``/``recv_bytes``); no
pickle crosses it. A message is one JSON frame, optionally followed by one
frame of raw little-endian float64s:

- worker → server, once: ``{"name", "labels", "threshold", "max_chars", "int8", "context"}``
  (or ``{"error", "load_error"?}`` when the model cannot be loaded);
- server → worker: ``{"texts": [...], "contexts": [...] | null}``;
- worker → server: ``{"n": n}`` then n x (labels + 1) floats: each text's
  category probabilities followed by its problem probability (or ``{"error"}``).

Floats travel as raw bytes: printing and parsing them as JSON text cost more
than the rest of the exchange.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

__all__ = ["FLOAT", "MAX_MESSAGE", "Timeout", "send", "receive", "connection_pair", "set_timeouts"]

FLOAT = np.dtype("<f8")
MAX_MESSAGE = 1 << 30


class Timeout(Exception):
    """No answer (or no room to write) within the deadline."""


def connection_pair() -> tuple[Connection, socket.socket]:
    """The server's Connection and the worker's end, a socket whose descriptor the worker inherits."""
    ours, theirs = socket.socketpair()
    return Connection(ours.detach()), theirs


def set_timeouts(conn: Connection, seconds: float) -> None:
    """Writes and reads on conn fail (OSError) after seconds without progress: a stopped worker cannot block the caller
    in the middle of a message."""
    sock = socket.socket(fileno=conn.fileno())
    try:
        whole = int(seconds)
        value = struct.pack("ll", whole, int((seconds - whole) * 1e6))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
    finally:
        sock.detach()  # the descriptor stays the Connection's


def send(conn: Connection, head: dict[str, Any], array: np.ndarray | None = None) -> None:
    conn.send_bytes(json.dumps(head, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if array is not None:
        conn.send_bytes(np.ascontiguousarray(array, dtype=FLOAT).tobytes())


def _wait(conn: Connection, deadline: float | None) -> None:
    if deadline is not None and not conn.poll(max(0.0, deadline - time.monotonic())):
        raise Timeout


def receive(conn: Connection, deadline: float | None = None, with_array: bool = False) -> tuple[dict[str, Any], bytes]:
    """One message: its JSON head and (when with_array and the head is not an error) its floats.

    EOFError when the other side has gone, Timeout past the deadline (None: wait as long as it takes).
    """
    _wait(conn, deadline)
    head = json.loads(conn.recv_bytes(MAX_MESSAGE))
    if not isinstance(head, dict):
        raise ValueError(f"expected a JSON object from the other side, found {type(head).__name__}")
    if not with_array or "error" in head:
        return head, b""
    _wait(conn, deadline)
    return head, conn.recv_bytes(MAX_MESSAGE)
