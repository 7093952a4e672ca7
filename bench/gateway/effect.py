"""The recorded gateway-effect runs: `sekimori eval gateway` as committed in EFFECT.md, and the
same harmful sets streamed through the compliant upstream (EFFECT-stream.md).

    PYTHONPATH=src python bench/gateway/effect.py [--limit 300] [--skip-stream]

The first run sends every item of the targets' own public sets (HarmBench, SimpleSafetyTests,
XSTest safe prompts) and of the held-back catastrophic and severe pairs, and a stable sample of
`--limit` items of the rest, with both upstreams; the second streams HarmBench,
SimpleSafetyTests and the held-back prose answers through the compliant upstream, where holding
matters most (a held stream is released only after the answer screen judged the whole answer; a
stream not held may show text before it is cut).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
WHOLE = "harmbench,simplesafetytests,xstest-safe,catastrophic-pairs,severe-pairs"


def _eval(*args: str) -> None:
    argv = [sys.executable, "-m", "sekimori.cli", "eval", "gateway", *args]
    print("$", " ".join(argv[2:]), file=sys.stderr, flush=True)
    code = subprocess.run(argv, env=ENV, cwd=ROOT, check=False).returncode
    if code != 0:
        raise SystemExit(f"eval gateway exited with {code}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--limit", type=int, default=300, help="items a set beyond the whole ones (0: every item)"
    )
    parser.add_argument("--skip-stream", action="store_true")
    parser.add_argument("--results", default="", help="folder for the per-request JSONL files")
    opts = parser.parse_args()
    results = Path(opts.results) if opts.results else None
    extra = ["--results", str(results / "effect.jsonl")] if results else []
    limit = ["--limit", str(opts.limit), "--whole", WHOLE] if opts.limit else []
    _eval(*limit, "--output", "bench/gateway/EFFECT.md", *extra)
    if opts.skip_stream:
        return
    extra = ["--results", str(results / "effect-stream.jsonl")] if results else []
    _eval(
        "--stream", "--upstreams", "compliant",
        "--sets", "harmbench,simplesafetytests,prose-answers",
        "--output", "bench/gateway/EFFECT-stream.md", *extra,
    )  # fmt: skip


if __name__ == "__main__":
    main()
