"""apps/core/http.py: the one HTTP client for outside services."""

import ssl

from apps.core.http import make_client, tls_context


def _context_of(client):
    return client._transport._pool._ssl_context


def test_clients_share_one_tls_context_that_still_verifies():
    with make_client() as first, make_client(base_url="https://api.example") as second:
        assert _context_of(first) is _context_of(second) is tls_context()
    assert tls_context().verify_mode == ssl.CERT_REQUIRED
    assert tls_context().check_hostname
