"""Test-wide settings: quick mode, no progress bars, a headless backend, and no network.

The environment variables are set before any kernel starts, so notebooks run by nbval
inherit them. The network guard makes any non-loopback connection from the test process
fail loudly: the suite must pass offline.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest

os.environ["AEBOOK_MODE"] = "quick"
os.environ["AEBOOK_PROGRESS"] = "0"
# Kernels started by nbval inherit this (figures as images, as in Jupyter); this process
# itself draws with Agg (below).
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
LANGS = ("ko", "en")


class NetworkBlocked(RuntimeError):
    pass


def _is_local(address) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost would need DNS


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded_connect(self, address):
    if not _is_local(address):
        raise NetworkBlocked(f"test tried to reach {address!r}; the suite must run offline")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if not _is_local(address):
        raise NetworkBlocked(f"test tried to reach {address!r}; the suite must run offline")
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """nbval's cells (every notebook re-executed) are slow like the claim tests: with
    ``-m "not slow"`` the suite is the fast unit loop.

    Under pytest-xdist (``--dist loadgroup``, as tools/make.py runs it) each test file is one
    unit of work, as with ``loadfile`` (its module fixtures are set up once), except that a
    page's Korean and English notebooks are one unit: they run one after the other in the same
    worker, so the English page reads from the run's result cache what the Korean one trained
    instead of training it at the same time on the other core."""
    for item in items:
        path = item.nodeid.split("::")[0]
        if path.endswith(".ipynb"):
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.xdist_group(f"notebook:{Path(path).stem}"))
        elif item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(path))


@pytest.fixture(autouse=True)
def _english_by_default():
    """Each test starts in English (tests that need Korean ask for it) and leaves no figure
    open and the torch thread count as it found it (aebook.setup() and some tests change it)."""
    import torch

    from aebook.i18n import set_language

    set_language("en")
    threads = torch.get_num_threads()
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def one_thread():
    """Run a module's tiny models on one torch thread, then restore the setting.

    On this 2-core machine, OpenMP threads of tiny models wait for each other; when another
    process is busy, runs were 10-100x slower with 2 threads. Use it with
    ``pytestmark = pytest.mark.usefixtures("one_thread")``.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture()
def no_missing_glyphs(caplog):
    """``with no_missing_glyphs(): draw...``: fails the test if a font lacks a glyph of what
    was drawn (matplotlib warns for text, mathtext logs for math): a broken figure."""
    import contextlib
    import logging
    import warnings

    @contextlib.contextmanager
    def check():
        caplog.clear()
        with warnings.catch_warnings(), caplog.at_level(logging.WARNING):
            warnings.simplefilter("error", UserWarning)
            yield
        missing = [r.getMessage() for r in caplog.records if "glyph" in r.getMessage().lower()]
        assert not missing, missing

    return check


def built_pages(folder: Path) -> list[Path]:
    """The built book's HTML pages in ``folder``, without the probes that the browser tests write
    beside them (``<page>.<probe>.html``: the book's own page names hold no dot)."""
    return sorted(p for p in folder.glob("*.html") if "." not in p.stem)


def pages(lang: str, suffixes=(".ipynb", ".md")) -> list[Path]:
    return sorted(p for p in (BOOK / lang).rglob("*") if p.suffix in suffixes
                  and ".ipynb_checkpoints" not in p.parts)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """The book's HTML, both languages, built once per test run with ``-W`` from the committed
    notebook outputs and shared by every test that reads it. Under pytest-xdist the first
    worker to ask builds it in the run's shared temporary folder while the other waits on a
    lock; a failed build fails every test that asks, with the same message."""
    import fcntl
    import importlib.util

    shared = os.environ.get("PYTEST_XDIST_WORKER") is not None
    root = tmp_path_factory.getbasetemp().parent if shared else tmp_path_factory.getbasetemp()
    out, failed = root / "shared-book", root / "shared-book.failed"
    with open(root / "shared-book.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if failed.exists():
            pytest.fail(failed.read_text(encoding="utf-8"))
        if not (out / "html" / "index.html").exists():
            spec = importlib.util.spec_from_file_location("aebook_make", ROOT / "tools" / "make.py")
            make = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(make)
            try:
                make.build_book(strict=True, execute=False, out_root=out)
            except SystemExit as exit_:
                failed.write_text(f"the book did not build: {exit_}", encoding="utf-8")
                raise
    return out / "html"
