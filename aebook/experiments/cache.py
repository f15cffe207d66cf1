"""Sharing experiment results between the processes of one ``tools/make.py`` run.

When :data:`RESULT_CACHE_ENV` names a folder, every named experiment also stores its result
there, so that the other processes of the same run (the Korean and the English notebook, the
tests) compute each experiment once. ``tools/make.py`` sets it to a fresh private temporary
folder for every ``test``, ``book`` and ``execute`` run and deletes it afterwards. Results are
keyed by the function, its arguments, the configuration table, the torch version and a hash of
the package's source, so a changed library never reads an old result. Unset (the default),
nothing touches the disk.

The files are pickles, and unpickling runs code: a folder that another user could write to is
refused (it must be owned by this user and closed to group and others, as ``mkdtemp`` makes it).
Concurrent writers are safe: each writes a temporary file and renames it into place. And no
result is computed twice at once: a process that asks for a result another process is computing
waits for it (a lock file per key, ``fcntl.flock``; experiments that use others take their locks
in the order of their dependencies, which has no cycle) and then reads it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

__all__ = ["RESULT_CACHE_ENV", "cache_folder", "through_disk"]

RESULT_CACHE_ENV = "AEBOOK_RESULT_CACHE"


def cache_folder() -> Path | None:
    """The folder named by :data:`RESULT_CACHE_ENV`, checked to be private; ``None`` if unset.

    Raises:
        PermissionError: the folder is not owned by this user or is open to group or others.
    """
    root = os.environ.get(RESULT_CACHE_ENV)
    if not root:
        return None
    path = Path(root)
    st = path.stat()
    if st.st_uid != os.getuid() or st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PermissionError(f"${RESULT_CACHE_ENV}={root} must be a folder owned by this user with mode 0700 "
                              f"(it holds pickles, which run code when read); it has owner {st.st_uid} and mode "
                              f"{stat.S_IMODE(st.st_mode):o}")
    return path


@functools.lru_cache(maxsize=1)
def _source_fingerprint() -> str:
    h = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    for f in sorted(root.rglob("*.py")):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _disk_key(name: str, key: Any, configs: Any) -> str:
    text = "|".join([name, repr(key), repr(configs), torch.__version__, _source_fingerprint()])
    return f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:24]}.pkl"


@contextlib.contextmanager
def _computing(path: Path):
    """Hold the lock of ``path``'s key while this process looks for or computes its result."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: two processes may compute the same result
        yield
        return
    with path.with_name(path.name + ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def through_disk(name: str, key: Any, configs: Any, compute: Callable[[], Any]) -> Any:
    """``compute()``, or the result another process of this run stored under the same key
    (waiting for it if that process is computing it now)."""
    root = cache_folder()
    if root is None:
        return compute()
    path = root / _disk_key(name, key, configs)
    with _computing(path):
        return _load_or_compute(path, compute)


def _load_or_compute(path: Path, compute: Callable[[], Any]) -> Any:
    if path.exists():
        with path.open("rb") as f:
            return pickle.load(f)  # a private folder of this run's own processes (cache_folder)
    result = compute()
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # atomic: a reader never sees half a file
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        tmp.unlink(missing_ok=True)  # not storable: the next process recomputes it
    return result
