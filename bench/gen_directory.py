"""Write a deterministic national-scale organisation directory (YAML) for benchmarks.

    python bench/gen_directory.py --out var/national.yaml [--communes 3321]

34 province-level units (real names, 2025 reorganisation) and the given number
of commune-level steering committees, each with a reporter. See
registry/directory_gen.py for what is placeholder.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from registry.directory_gen import NATIONAL_COMMUNES, dump, generate  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="YAML file to write")
    parser.add_argument(
        "--communes",
        type=int,
        default=NATIONAL_COMMUNES,
        help=f"number of communes in total (default {NATIONAL_COMMUNES})",
    )
    args = parser.parse_args(argv)
    if args.communes < 0:
        parser.error("--communes phải là số không âm")
    started = time.perf_counter()
    directory = generate(communes=args.communes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dump(directory), encoding="utf-8")
    elapsed = time.perf_counter() - started
    print(
        f"{args.out}: {len(directory['organizations'])} organisations, "
        f"{len(directory['people'])} people in {elapsed:.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
