"""HTTP errors in the OpenAI error shape, and the one place where failures become them.

Every failure the client is told about passes through here: upstream failures (`from_upstream`),
upstream error statuses (`upstream_status`), answers that are no chat completion
(`bad_upstream_answer`) and our own failures (`internal`). What a client sees is
written by the gateway; an upstream's own error body never reaches it (it may hold the upstream's
secrets: a stack trace with a password, a message quoting an API key). It goes to the log with
`scrub`, which masks secrets and personal data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import orjson

from sekimori.errors import SekimoriError, UpstreamError
from sekimori.upstream.base import UpstreamTimeout

# Things that look like credentials which the PII detectors do not name (OpenAI-style `sk-...`
# keys, bearer tokens, long random tokens): masked in logs all the same.
_TOKENS = re.compile(
    r"(?i)\bbearer\s+\S+"
    r"|\b(?:sk|pk|rk|xox[a-z]|hf|ghp|glpat)[-_][A-Za-z0-9_-]{8,}"
    r"|(?<![A-Za-z0-9])(?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{24,}"
)
_LOG_LIMIT = 2000  # characters of an upstream body kept in the log


class HttpError(SekimoriError):
    """An error answered to the client as `{"error": {"message", "type", "param", "code"}}`.

    Its own branch under the root: a 4xx is the client's mistake, a 5xx ours or the upstream's.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str,
        param: str | None = None,
        type: str = "invalid_request_error",
        headers: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.type = type
        # Sent with the error, e.g. Retry-After and x-ratelimit-* on a 429.
        self.headers = tuple(headers)

    def body(self) -> bytes:
        return orjson.dumps(
            {
                "error": {
                    "message": self.message,
                    "type": self.type,
                    "param": self.param,
                    "code": self.code,
                }
            }
        )


def bad_request(message: str, param: str | None = None) -> HttpError:
    return HttpError(400, message, code="invalid_request", param=param)


def not_allowed(method: str, path: str, allowed: Sequence[str]) -> HttpError:
    """405 for a known path, with the `Allow` header RFC 9110 requires."""
    return HttpError(
        405,
        f"{method} is not allowed on {path}; use {', '.join(allowed)} / "
        f"{path} では {method} は使えません",
        code="method_not_allowed",
        headers=[(b"allow", ", ".join(allowed).encode())],
    )


def internal(status: int, message: str, code: str) -> HttpError:
    """A failure on our side (screen, audit store): its details go to the log, not the client."""
    return HttpError(status, message, code=code, type="server_error")


def from_upstream(exc: UpstreamError) -> HttpError:
    """An upstream that failed (refused, reset, timed out, garbage): 502 or 504.

    The message is the gateway's own description of the failure, never the upstream's words.
    """
    timeout = isinstance(exc, UpstreamTimeout)
    return HttpError(
        504 if timeout else 502,
        str(exc),
        code="upstream_timeout" if timeout else "upstream_unavailable",
        type="upstream_error",
    )


def bad_upstream_answer(name: str, path: str) -> HttpError:
    return HttpError(
        502,
        f"upstream {name} answered something that is not a {path} answer",
        code="upstream_bad_answer",
        type="upstream_error",
    )


def upstream_status(
    status: int, name: str, request_id: str, headers: Sequence[tuple[bytes, bytes]] = ()
) -> HttpError:
    """An upstream that answered an error status; its body is logged, not forwarded.

    A 4xx other than an authentication failure is the client's request as the model server saw
    it (a bad parameter, a rate limit): the client gets the same status to act on, with the
    upstream's Retry-After when it gave whole seconds. Anything else is the gateway's problem: 502.
    """
    where = f"upstream {name} answered HTTP {status}"
    hint = (
        f"{where}; its details are in the gateway log under request {request_id} / "
        f"上流 {name} が HTTP {status} を返しました（詳細はゲートウェイのログ、要求 {request_id}）"
    )
    if 400 <= status < 500 and status not in (401, 403, 407):
        wait = [v for k, v in headers if k == b"retry-after" and v.isdigit() and len(v) <= 6]
        extra = [(b"retry-after", wait[0])] if wait else []
        return HttpError(status, hint, code=f"upstream_{status}", headers=extra)
    return HttpError(502, hint, code="upstream_unavailable", type="upstream_error")


def scrub(payload: bytes | str) -> str:
    """Text fit for a log line: secrets and personal data masked, cut to a bounded length."""
    from sekimori.classify.pii import redact  # the detectors load on first use only

    text = payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
    text = text[:_LOG_LIMIT]
    text = _TOKENS.sub("<TOKEN>", text)
    return redact(text).text.replace("\n", "\\n")
