"""Settings built from command-line flags: a bad value is named by its flag, not a traceback."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sekimori.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def validated(cls: type[M], flags: Mapping[str, str], **values: Any) -> M:
    """`cls(**values)`; on a bad value, ConfigError keyed by the flag that set the field
    (`flags` maps field names to flags; other fields are assumed to be `--field-name`)."""
    try:
        return cls(**values)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else ""
        flag = flags.get(field, "--" + field.replace("_", "-"))
        raise ConfigError(f"{error['msg']}, got {error.get('input')!r}", key=flag) from None
