"""HTTP errors in the OpenAI error shape, so that every OpenAI client understands them."""

from __future__ import annotations

import orjson

from sekimori.errors import InputError


class HttpError(InputError):
    """An error answered to the client as `{"error": {"message", "type", "param", "code"}}`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str,
        param: str | None = None,
        type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.type = type

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
