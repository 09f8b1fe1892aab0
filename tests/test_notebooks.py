"""The analyst notebooks in ``notebooks/`` run top to bottom and are stored without outputs.

Each notebook is executed with nbclient in a fresh kernel started from this interpreter
(``sys.executable``), with ``notebooks/`` as the working directory. A cell prepended in memory
blocks non-loopback connections inside the kernel too (the conftest guard only covers this
process), so a notebook that reaches for the network fails here.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from ipykernel.kernelspec import write_kernel_spec
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
EXPECTED = ["01_quickstart.ipynb", "02_gazetteer.ipynb", "03_territory_analysis.ipynb"]
CELL_TIMEOUT_S = 300

# Runs in the kernel before the notebook's own cells; never written to disk.
BLOCK_NETWORK = """
import socket as _socket

def _loopback(address):
    if isinstance(address, tuple) and address:
        host = str(address[0])
        return host in ("localhost", "::1") or host.startswith("127.")
    return isinstance(address, (str, bytes))

_real_connect = _socket.socket.connect

def _guarded_connect(self, address):
    if not _loopback(address):
        raise RuntimeError(f"network access blocked while testing notebooks: {address!r}")
    return _real_connect(self, address)

_socket.socket.connect = _guarded_connect
_real_create_connection = _socket.create_connection

def _guarded_create_connection(address, *args, **kwargs):
    if not _loopback(address):
        raise RuntimeError(f"network access blocked while testing notebooks: {address!r}")
    return _real_create_connection(address, *args, **kwargs)

_socket.create_connection = _guarded_create_connection
del _socket
"""


def _notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def _kernel_manager(tmp_path: Path) -> AsyncKernelManager:
    """A python3 kernel on this interpreter, whatever kernelspecs ~/.local or PATH hold."""
    kernels = tmp_path / "kernels"
    write_kernel_spec(kernels / "python3")  # argv: [sys.executable, "-m", "ipykernel_launcher", ...]
    ksm = KernelSpecManager(kernel_dirs=[str(kernels)], ensure_native_kernel=False)
    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=ksm)


def test_the_three_notebooks_exist():
    assert [p.name for p in _notebooks()] == EXPECTED


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    dirty = [
        i for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("execution_count") is not None or cell.get("outputs"))
    ]
    assert not dirty, f"{path.name}: cells {dirty} hold outputs or execution counts; clear them before committing"


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.stem)
def test_notebook_runs_without_errors(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(BLOCK_NETWORK))
    client = NotebookClient(
        nb,
        km=_kernel_manager(tmp_path),
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    t0 = time.perf_counter()
    # cleanup_kc: nbclient leaves a kernel it did not create running unless told to stop it
    client.execute(cleanup_kc=True)  # raises CellExecutionError naming the failing cell
    elapsed = time.perf_counter() - t0
    errors = [
        (i, out.get("ename"), out.get("evalue"))
        for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
        for out in cell.get("outputs", []) if out.get("output_type") == "error"
    ]
    assert not errors, f"{path.name}: {errors}"
    ran = [c for c in nb.cells[1:] if c.cell_type == "code"]
    assert ran and all(c.get("execution_count") is not None for c in ran)
    print(f"{path.name}: {len(ran)} code cells in {elapsed:.1f} s")
