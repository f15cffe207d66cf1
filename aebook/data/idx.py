"""The IDX file format of MNIST and Fashion-MNIST: read, write, and load the standard files
from a folder (downloaded only when asked explicitly)."""

from __future__ import annotations

import gzip as gzip_module
import hashlib
import math
import os
import struct
import urllib.request
import zlib
from pathlib import Path

import numpy as np
import torch

from .split import Split, pixels_to_tensor

# dtype code -> big-endian numpy dtype, as in the IDX spec
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: str | os.PathLike) -> bytes:
    """File contents, gunzipped if they start with the gzip magic (whatever the extension)."""
    raw = Path(path).read_bytes()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip_module.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:  # how gzip reports a damaged stream
        raise ValueError(f"{path}: corrupt gzip data ({err})") from err


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (raw or gzip-compressed) into a native-endian numpy array.

    Format: two zero bytes, a dtype code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions, one big-endian uint32 size per
    dimension, then the values, big-endian, in C order. gzip is detected by its magic
    bytes ``1f 8b``, not by the file name.

    Raises:
        ValueError: bad magic, unknown dtype code, truncated header or data, or trailing bytes.
    """
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"{path}: not an IDX file (only {len(data)} bytes, header needs 4)")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic: first two bytes are "
                         f"{data[:2].hex()}, expected 0000)")
    code, ndim = data[2], data[3]
    if code not in _IDX_DTYPES:
        raise ValueError(f"{path}: unknown IDX dtype code 0x{code:02x} "
                         f"(known: {', '.join(f'0x{c:02x}' for c in _IDX_DTYPES)})")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(data)} bytes, "
                         f"need {header} for {ndim} dimensions)")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(_IDX_DTYPES[code])
    expected = math.prod(shape) * dtype.itemsize
    got = len(data) - header
    if got < expected:
        raise ValueError(f"{path}: truncated IDX data: shape {shape} needs {expected} bytes, "
                         f"file has {got}")
    if got > expected:
        raise ValueError(f"{path}: {got - expected} trailing bytes after IDX data of shape {shape}")
    arr = np.frombuffer(data, dtype=dtype, count=math.prod(shape), offset=header)
    return arr.reshape(shape).astype(dtype.newbyteorder("="))  # a native, writable copy


def write_idx(path: str | os.PathLike, array: np.ndarray, gzip: bool = False) -> Path:
    """Write ``array`` as an IDX file (gzip-compressed if ``gzip``); return the path.

    Supported dtypes: uint8, int8, int16, int32, float32, float64 (cast other integer
    arrays yourself, e.g. labels with ``.astype(np.uint8)``).
    """
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): c for c, v in _IDX_DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise ValueError(f"array dtype {array.dtype} has no IDX code; use one of "
                         f"{sorted(str(d) for d in codes)}")
    if array.ndim > 255 or any(s >= 2**32 for s in array.shape):
        raise ValueError(f"array shape {array.shape} does not fit the IDX header")
    header = bytes([0, 0, codes[native], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=native.newbyteorder(">")).tobytes()
    path = Path(path)
    path.write_bytes(gzip_module.compress(payload, mtime=0) if gzip else payload)
    return path


# The standard files, with the published md5 sums of the .gz files. We do not ship sums of
# the uncompressed files (we could not verify them); those are checked structurally instead.
IDX_FILES: dict[str, dict[str, tuple[str, str]]] = {
    "mnist": {
        "train_images": ("train-images-idx3-ubyte", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        "train_labels": ("train-labels-idx1-ubyte", "d53e105ee54ea40749a09fcbcd1e9432"),
        "test_images": ("t10k-images-idx3-ubyte", "9fb629c4189551a2d022fa330f9573f3"),
        "test_labels": ("t10k-labels-idx1-ubyte", "ec29112dd5afa0611ce80d1b7f02629c"),
    },
    "fashion-mnist": {
        "train_images": ("train-images-idx3-ubyte", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        "train_labels": ("train-labels-idx1-ubyte", "25c81989df183df01b3e8a0aad5dffbe"),
        "test_images": ("t10k-images-idx3-ubyte", "bef4ecab320f06d8554ea6380940ec79"),
        "test_labels": ("t10k-labels-idx1-ubyte", "bb300cfdad3c16e7a12a480ee83cd310"),
    },
}
IDX_COUNTS = {"train": 60000, "test": 10000}  # same for both data sets
IDX_MIRRORS = {
    "mnist": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/"],
    "fashion-mnist": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
}


def _idx_name(name: str) -> str:
    key = str(name).lower().replace("_", "-")
    if key not in IDX_FILES:
        raise ValueError(f"unknown IDX data set {name!r}; allowed: {sorted(IDX_FILES)}")
    return key


def md5sum(path: str | os.PathLike) -> str:
    """Hex md5 of a file's bytes."""
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _download(name: str, fname: str, md5: str, root: Path) -> Path:
    """Fetch ``fname.gz`` from the first mirror that works; keep it only if its md5 matches."""
    dest = root / f"{fname}.gz"
    errors = []
    for base in IDX_MIRRORS[name]:
        url = base + dest.name
        tmp = dest.with_suffix(".gz.part")
        try:
            with urllib.request.urlopen(url, timeout=60) as resp, open(tmp, "wb") as out:
                while block := resp.read(1 << 20):
                    out.write(block)
        except OSError as err:  # URLError and socket timeouts are OSErrors
            tmp.unlink(missing_ok=True)
            errors.append(f"{url}: {err}")
            continue
        actual = md5sum(tmp)
        if actual != md5:
            tmp.unlink(missing_ok=True)
            errors.append(f"{url}: md5 {actual}, expected {md5}")
            continue
        tmp.replace(dest)
        return dest
    raise OSError(f"could not download {dest.name}:\n  " + "\n  ".join(errors))


def load_idx_dataset(name: str, root: str | os.PathLike, download: bool = False,
                     check_md5: bool = True, flatten: bool = True) -> Split:
    """Full MNIST or Fashion-MNIST from the four standard IDX files in ``root``.

    For each file we look for ``root/<file>.gz`` first, then the uncompressed ``root/<file>``
    (e.g. ``train-images-idx3-ubyte``). The split is the official one: 60000 train images
    (``train-*``) and 10000 test images (``t10k-*``), in the files' order.

    With ``check_md5=True`` (default) the files are checked against the published data:
    ``.gz`` files by their md5 sum; uncompressed files, whose sums we do not ship, by
    structure (60000 / 10000 images of 28x28 uint8). Whatever ``check_md5``, images must be
    ``(N, H, W)`` uint8, labels ``(N,)`` uint8 in 0..9, and counts must agree.

    ``download=True`` fetches missing ``.gz`` files from :data:`IDX_MIRRORS` with urllib
    (md5-checked); it is never done otherwise.

    Args:
        name: ``"mnist"`` or ``"fashion-mnist"``

    Returns:
        Split with ``x_train: (60000, 784)`` (``(60000, 1, 28, 28)`` if ``flatten=False``)
        float32 in [0, 1], ``y_train: (60000,)`` int64, ``x_test: (10000, ...)``,
        ``y_test: (10000,)``, ``image_shape=(28, 28)``.

    Raises:
        FileNotFoundError: a file is missing (and ``download`` is False); the message lists which.
        ValueError: unknown ``name``, md5 mismatch (names the file, expected and actual sum), bad structure.
    """
    key = _idx_name(name)
    root = Path(root)
    files = IDX_FILES[key]

    def find(fname: str) -> Path | None:
        for candidate in (root / f"{fname}.gz", root / fname):
            if candidate.is_file():
                return candidate
        return None

    paths = {part: find(fname) for part, (fname, _) in files.items()}
    missing = [files[part][0] for part, p in paths.items() if p is None]
    if missing and not download:
        raise FileNotFoundError(
            f"{key}: missing in {root}: {', '.join(missing)} (.gz or uncompressed). "
            f"Place the files there or pass download=True.")
    if missing:
        root.mkdir(parents=True, exist_ok=True)
        for part, p in paths.items():
            if p is None:
                fname, md5 = files[part]
                paths[part] = _download(key, fname, md5, root)

    if check_md5:
        for part, p in paths.items():
            if p.suffix == ".gz":
                expected, actual = files[part][1], md5sum(p)
                if actual != expected:
                    raise ValueError(f"md5 mismatch for {p}: expected {expected}, got {actual}. "
                                     f"The file is corrupt or not the official {key} file; "
                                     f"delete it, or pass check_md5=False to use it anyway.")

    out, hw = {}, None
    for split in ("train", "test"):
        images, labels = read_idx(paths[f"{split}_images"]), read_idx(paths[f"{split}_labels"])
        where = f"{key} {split}"
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(f"{where} images must be (N, H, W) uint8, got {images.shape} {images.dtype}")
        if labels.ndim != 1 or labels.dtype != np.uint8:
            raise ValueError(f"{where} labels must be (N,) uint8, got {labels.shape} {labels.dtype}")
        if len(images) != len(labels):
            raise ValueError(f"{where}: {len(images)} images but {len(labels)} labels")
        if labels.size and labels.max() > 9:
            raise ValueError(f"{where} labels must be in 0..9, found {int(labels.max())}")
        if check_md5 and (images.shape != (IDX_COUNTS[split], 28, 28)):
            raise ValueError(f"{where} images have shape {images.shape}, the official files have "
                             f"({IDX_COUNTS[split]}, 28, 28); pass check_md5=False to use them anyway")
        if split == "test" and images.shape[1:] != hw:
            raise ValueError(f"{where} images are {images.shape[1:]}, train images are {hw}")
        hw = tuple(int(s) for s in images.shape[1:])
        out[split] = (pixels_to_tensor(images, 255.0, hw, flatten),
                      torch.tensor(labels, dtype=torch.int64))
    return Split(x_train=out["train"][0], y_train=out["train"][1],
                 x_test=out["test"][0], y_test=out["test"][1], name=key, image_shape=hw)

