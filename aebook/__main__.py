"""Command line: ``python -m aebook <command>``.

    python -m aebook figures --list
    python -m aebook figures --check            # redraw all figures, compare with baselines
    python -m aebook figures --write [--id 19.3] [--lang ko]   # redraw the baselines
    python -m aebook figures --dump DIR          # image, data and structure of every figure
    python -m aebook info                        # mode, device, versions
    python -m aebook equations                   # (19.1)-(19.25) and the code of each
"""

from __future__ import annotations

import argparse
import sys


def _figures(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import torch

    from .figures import registry

    # One torch thread, as in the tests: the trained models behind the figures then come out
    # the same here and under pytest (thread counts change float sums, and training amplifies
    # the difference; the mask-ratio sweep moved by 12 RMS between 1 and 2 threads).
    torch.set_num_threads(1)

    ids = args.id or registry.figure_ids()
    langs = [args.lang] if args.lang else ["ko", "en"]
    if args.list:
        for fig_id in ids:
            spec = registry.get(fig_id)
            print(f"{fig_id:22s} {spec.check:7s} {spec.page:24s} {spec.qualname()}")
        return 0
    if args.dump:
        return _dump(registry, ids, langs, args.dump)
    failed = 0
    for fig_id in ids:
        for lang in langs:
            if args.write:
                path = registry.write_baseline(fig_id, lang)
                print(f"wrote {path.relative_to(registry.REPO_ROOT)}")
            else:
                ok, msg = registry.compare_with_baseline(fig_id, lang)
                failed += not ok
                print(("ok    " if ok else "FAIL  ") + msg)
    return 1 if failed else 0


def _dump(registry, ids, langs, folder) -> int:
    """Draw every figure into ``folder/<lang>/``: the image, its data (.npz) and its structure
    (.json), whatever its check; ``tools/make.py spread`` compares such folders."""
    from pathlib import Path

    import matplotlib.pyplot as plt

    folder = Path(folder)
    for fig_id in ids:
        spec = registry.get(fig_id)
        for lang in langs:
            fig = registry.draw(fig_id, lang=lang, mode="quick")
            try:
                registry.save(fig, folder / lang / f"{spec.slug}.png")
                registry.save_fingerprint(fig, folder / lang / spec.slug)
            finally:
                plt.close(fig)
        print(f"drew {fig_id}", flush=True)
    return 0


def _info(args) -> int:
    import torch

    from ._version import __version__
    from .config import get_mode, pick_device

    print(f"aebook {__version__}; torch {torch.__version__}; mode {get_mode()}; device {pick_device()}")
    return 0


def _equations(args) -> int:
    from .equations import table

    print(table())
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m aebook", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("figures", help="list, check or redraw the registered figures")
    f.add_argument("--list", action="store_true")
    f.add_argument("--write", "--write-baselines", dest="write", action="store_true",
                   help="redraw baselines (quick mode)")
    f.add_argument("--check", action="store_true", help="compare with baselines (the default)")
    f.add_argument("--id", action="append", help="only this figure id (repeatable)")
    f.add_argument("--lang", choices=["ko", "en"])
    f.add_argument("--dump", metavar="DIR", help="draw every figure into DIR (image, data, structure)")
    f.set_defaults(func=_figures)
    i = sub.add_parser("info", help="print versions, mode and device")
    i.set_defaults(func=_info)
    q = sub.add_parser("equations", help="print every numbered equation of 19.1-19.2 and its code")
    q.set_defaults(func=_equations)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
