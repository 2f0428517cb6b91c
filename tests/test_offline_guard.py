"""The offline guard itself: a test that tries to leave the machine fails."""

import socket

import pytest


def test_connection_to_a_public_address_is_refused() -> None:
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError, match="127.0.0.1"):
        sock.connect(("93.184.216.34", 80))


def test_connection_to_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket() as client:
            client.connect(server.getsockname())
