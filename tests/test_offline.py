"""The suite runs offline: the guard in conftest.py refuses non-loopback connections."""

import socket

import pytest
from conftest import NetworkBlocked


def test_connection_to_public_address_is_refused():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(NetworkBlocked, match="offline"):
        s.connect(("93.184.216.34", 80))


def test_loopback_connections_are_allowed():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
            client.connect(server.getsockname())
