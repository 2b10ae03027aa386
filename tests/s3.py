"""A local S3 for tests: moto's server on a free port of 127.0.0.1 (moto[server] is in
requirements-dev), reached through boto3 and django-storages as a real bucket would be."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def local_s3(monkeypatch, *buckets: str) -> Iterator[tuple[object, str]]:
    """(boto3 S3 client, endpoint URL) of a fresh local S3 holding `buckets`."""
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server", reason="moto[server] (requirements-dev)")
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    port = _free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        for bucket in buckets:
            client.create_bucket(Bucket=bucket)
        yield client, endpoint
    finally:
        server.stop()
