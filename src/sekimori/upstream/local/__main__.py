"""`python -m sekimori.upstream.local --host H --port P`: serve the embedded model over HTTP.

The model is loaded (and its sha256 checked) before the port opens, so `GET /healthz` answering
200 means the model is ready.
"""

from __future__ import annotations

import argparse
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


def build_parser() -> argparse.ArgumentParser:
    from sekimori.upstream.local.models import DEFAULT_MODEL, LOCAL_MODELS

    parser = argparse.ArgumentParser(
        prog="python -m sekimori.upstream.local", description=f"{USAGE('en')} {USAGE('ja')}"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--model", default=DEFAULT_MODEL, choices=LOCAL_MODELS.names())
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        import uvicorn

        from sekimori.upstream.local.generation import Limits
        from sekimori.upstream.local.models import LOCAL_MODELS
        from sekimori.upstream.local.server import LocalModelApp, ServerSettings

        model = LOCAL_MODELS.get(args.model).load(Limits(args.context, args.default_max_tokens))
    except SekimoriError as exc:
        print(LOAD_FAILED("en", error=exc), file=sys.stderr)
        print(LOAD_FAILED("ja", error=exc), file=sys.stderr)
        return 2
    app = LocalModelApp(model, ServerSettings(max_queue=args.max_queue))
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
