"""A/B speed of the PII scanner: an earlier commit against the working tree, at the same moments.

On a shared machine the speed of one core drifts with the other jobs, so a figure measured
now cannot be set beside one measured an hour ago. This runs `run.py --speed-only` (MB/s by
CPU time on the labelled set, median of 7 scans) alternately with the base commit's `src`
and the working tree's, `--rounds` times each, and prints every pair and the medians.

Run: python bench/pii/ab.py --base a201d08 [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def measure(src: Path) -> float:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "pii" / "run.py"), "--speed-only"],
        env={**os.environ, "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="commit whose scanner is the 'before'")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.base, "src"],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        before, after = [], []
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"load average before: {load}")
        for i in range(args.rounds):
            # Alternate which goes first, so neither always follows the other.
            if i % 2 == 0:
                before.append(measure(Path(tmp) / "src"))
                after.append(measure(ROOT / "src"))
            else:
                after.append(measure(ROOT / "src"))
                before.append(measure(Path(tmp) / "src"))
            print(
                f"round {i + 1}: {args.base} {before[-1]:.2f} MB/s, "
                f"working tree {after[-1]:.2f} MB/s"
            )
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"load average after: {load}")
        b, a = statistics.median(before), statistics.median(after)
        print(f"median: {args.base} {b:.2f} MB/s, working tree {a:.2f} MB/s ({a / b:.2f}x)")


if __name__ == "__main__":
    main()
