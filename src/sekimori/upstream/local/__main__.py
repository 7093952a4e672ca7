"""`python -m sekimori.upstream.local --host H --port P`: serve the embedded model over HTTP.

The model is loaded (and its sha256 checked) before the port opens, so `GET /healthz` answering
200 means the model is ready.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from sekimori.errors import SekimoriError
from sekimori.lang import Text

USAGE = Text(
    en="Serve the embedded local chat model as an OpenAI-compatible HTTP server.",
    ja="組み込みのローカルチャットモデルを OpenAI 互換の HTTP サーバーとして提供します。",
)
LOAD_FAILED = Text(
    en="sekimori local model: cannot start: {error}",
    ja="sekimori ローカルモデル: 起動できません: {error}",
)
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sekimori.upstream.local", description=f"{USAGE('en')} {USAGE('ja')}"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--model", default="smollm2-135m", help="a registered local model")
    parser.add_argument(
        "--context", type=int, default=4096, help="context window in tokens (prompt + answer)"
    )
    parser.add_argument(
        "--default-max-tokens",
        type=int,
        default=512,
        help="answer length when a request names none",
    )
    parser.add_argument("--max-queue", type=int, default=32, help="requests queued before 503")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS threads (default 1: on a busy machine more threads spin and run far slower;"
        " see docs/local-model.md); an OPENBLAS_NUM_THREADS already set wins",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # BLAS reads its thread count once, when numpy loads: set it before anything imports numpy.
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, str(args.threads))
    try:
        import uvicorn

        from sekimori.upstream.local.generation import Limits
        from sekimori.upstream.local.models import LOCAL_MODELS
        from sekimori.upstream.local.server import LocalModelApp, ServerSettings

        spec = LOCAL_MODELS.get(args.model)
        model = spec.load(Limits(args.context, args.default_max_tokens))
    except SekimoriError as exc:
        print(LOAD_FAILED("en", error=exc), file=sys.stderr)
        print(LOAD_FAILED("ja", error=exc), file=sys.stderr)
        return 2
    app = LocalModelApp(model, ServerSettings(max_queue=args.max_queue))
    print(
        f"sekimori local model {spec.name} (sha256 verified) on http://{args.host}:{args.port},"
        f" served as model 'local'",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
