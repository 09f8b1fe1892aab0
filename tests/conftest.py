"""Shared fixtures: the network is blocked, ``../shared`` is located or the test skips."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MAPPER_SHARED", REPO.parent / "shared"))


def pytest_addoption(parser):
    parser.addoption("--run-network", action="store_true", help="allow tests marked 'network'")


class NetworkBlocked(RuntimeError):
    """Raised when a test tries to reach a non-loopback address."""


_real_connect = socket.socket.connect
_real_create_connection = socket.create_connection


def _is_loopback(address) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        return host in ("localhost", "::1") or host.startswith("127.")
    return isinstance(address, (str, bytes))  # AF_UNIX sockets (jupyter kernels) are local


def _guarded_connect(self, address):
    if not _is_loopback(address):
        raise NetworkBlocked(f"network access blocked in tests: {address!r}")
    return _real_connect(self, address)


def _guarded_create_connection(address, *args, **kwargs):
    if not _is_loopback(address):
        raise NetworkBlocked(f"network access blocked in tests: {address!r}")
    return _real_create_connection(address, *args, **kwargs)


@pytest.fixture(autouse=True)
def _block_network(request, monkeypatch):
    if request.node.get_closest_marker("network") and request.config.getoption("--run-network"):
        yield
        return
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket, "create_connection", _guarded_create_connection)
    yield


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-network"):
        return
    skip = pytest.mark.skip(reason="needs the network: run with --run-network")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the project; tests that need it skip with a reason when absent."""
    if not (SHARED / "seeds").is_dir():
        pytest.skip(f"reference corpus not found at {SHARED} (set MAPPER_SHARED to its path)")
    return SHARED


@pytest.fixture(scope="session")
def seeds_dir(shared_dir) -> Path:
    return shared_dir / "seeds"


@pytest.fixture(scope="session")
def dev_dir(shared_dir) -> Path:
    d = shared_dir / "dev"
    if not d.is_dir():
        pytest.skip(f"development corpus not found at {d}")
    return d


@pytest.fixture(scope="session")
def geonames_dump(shared_dir) -> Path:
    p = shared_dir / "data" / "wof_geonames_format_SY_IQ.tsv"
    if not p.is_file():
        pytest.skip(f"GeoNames-format dump not found at {p}")
    return p


@pytest.fixture(scope="session")
def gazetteer():
    """The packaged gazetteer, loaded once per session."""
    from mapper.gazetteer import Gazetteer

    return Gazetteer.load()
