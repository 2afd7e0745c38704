"""``python -m heroic_generate [--check]``: rewrite the generated files, or list the stale ones."""

from __future__ import annotations

import argparse
import sys

from heroic_generate.files import REPO_ROOT, expected_files, out_of_date, strays


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m heroic_generate",
        description="Write the CRD, the chart's copies and dashboard, the HeroicCluster reference.",
    )
    parser.add_argument("--check", action="store_true", help="only list stale files (exit 1)")
    args = parser.parse_args(argv)
    expected = expected_files()
    stale, extra = out_of_date(expected), strays()
    if args.check:
        for path in [*stale, *extra]:
            sys.stderr.write(f"out of date: {path.relative_to(REPO_ROOT)}\n")
        return 1 if stale or extra else 0
    for path in extra:
        path.unlink()
        sys.stderr.write(f"removed {path.relative_to(REPO_ROOT)}\n")
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(expected[path])
        sys.stderr.write(f"updated {path.relative_to(REPO_ROOT)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
