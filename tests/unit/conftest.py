"""Unit tests run without moto and without the network: any attempt to open a connection fails."""

from __future__ import annotations

import socket
from typing import Any

import pytest


class NetworkUsed(AssertionError):
    """A unit test tried to reach the network (or a moto server)."""


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: socket.socket, address: Any) -> None:
        raise NetworkUsed(f"unit tests do not open connections (tried {address!r})")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
