"""One exception root for sekimori; every error carries the context a user needs to fix it.

    SekimoriError
    ├── ConfigError              bad configuration: names the file, the key path and the fix
    ├── InputError               bad user input (a CLI file line, a request field)
    │   └── UnknownCategoryError a taxonomy id that does not exist
    ├── UpstreamError            a model server failed (refused, timed out, bad answer)
    ├── ClassifierError          a classifier could not produce a verdict
    ├── ModelError               model weights missing, corrupt (sha256) or unloadable
    ├── StoreError               the audit or key store failed
    └── HttpError                an answer to an HTTP client in the OpenAI error shape, 4xx or 5xx
                                 (sekimori.gateway.errors: the one place failures become these)

Subsystems may add subclasses under these branches; nothing raises a bare Exception.
"""

from __future__ import annotations


class SekimoriError(Exception):
    """Root of every error sekimori raises on purpose."""


class ConfigError(SekimoriError):
    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        self.file = file
        self.key = key
        where = ": ".join(p for p in (file, key) if p)
        super().__init__(f"{where}: {message}" if where else message)


class InputError(SekimoriError):
    def __init__(self, message: str, *, source: str | None = None, line: int | None = None) -> None:
        self.source = source
        self.line = line
        where = source or ""
        if line is not None:
            where = f"{where}:{line}" if where else f"line {line}"
        super().__init__(f"{where}: {message}" if where else message)


class UnknownCategoryError(InputError):
    def __init__(self, category_id: str) -> None:
        from sekimori.taxonomy import CATEGORY_IDS

        self.category_id = category_id
        super().__init__(f"unknown category {category_id!r}; valid ids: {', '.join(CATEGORY_IDS)}")


class UpstreamError(SekimoriError):
    def __init__(self, message: str, *, upstream: str | None = None) -> None:
        self.upstream = upstream
        super().__init__(f"upstream {upstream}: {message}" if upstream else message)


class ClassifierError(SekimoriError):
    pass


class ModelError(SekimoriError):
    pass


class StoreError(SekimoriError):
    pass
