"""Entity types and the span a detector reports."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PiiType(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    MY_NUMBER = "my_number"
    CARD = "card"
    BANK_ACCOUNT = "bank_account"
    PASSPORT = "passport"
    ADDRESS = "address"
    IP_ADDRESS = "ip_address"
    DATE_OF_BIRTH = "date_of_birth"
    PERSON = "person"
    AWS_ACCESS_KEY = "aws_access_key"
    AWS_SECRET_KEY = "aws_secret_key"
    GCP_API_KEY = "gcp_api_key"
    AZURE_KEY = "azure_key"
    GITHUB_TOKEN = "github_token"
    GITLAB_TOKEN = "gitlab_token"
    SLACK_TOKEN = "slack_token"
    JWT = "jwt"
    PRIVATE_KEY = "private_key"
    PASSWORD = "password"

    @property
    def is_secret(self) -> bool:
        return self in SECRET_TYPES

    @property
    def label(self) -> str:
        """The word inside a placeholder: `<CARD_1>`."""
        return _LABELS.get(self, self.value.upper())


SECRET_TYPES: frozenset[PiiType] = frozenset(
    {
        PiiType.AWS_ACCESS_KEY,
        PiiType.AWS_SECRET_KEY,
        PiiType.GCP_API_KEY,
        PiiType.AZURE_KEY,
        PiiType.GITHUB_TOKEN,
        PiiType.GITLAB_TOKEN,
        PiiType.SLACK_TOKEN,
        PiiType.JWT,
        PiiType.PRIVATE_KEY,
        PiiType.PASSWORD,
    }
)

_LABELS = {
    PiiType.IP_ADDRESS: "IP",
    PiiType.DATE_OF_BIRTH: "DOB",
    PiiType.BANK_ACCOUNT: "ACCOUNT",
}


def parse_types(names: str | list[str] | tuple[str, ...]) -> frozenset[PiiType]:
    """Entity types from names; `secrets` stands for every secret type.

    Raises InputError naming the valid names.
    """
    from sekimori.errors import InputError

    items = names.split(",") if isinstance(names, str) else list(names)
    out: set[PiiType] = set()
    for raw in items:
        name = raw.strip().lower()
        if not name:
            continue
        if name in ("secrets", "secret"):
            out |= SECRET_TYPES
        elif name in ("all", "*"):
            out |= set(PiiType)
        else:
            try:
                out.add(PiiType(name))
            except ValueError:
                valid = ", ".join(["secrets", "all", *(t.value for t in PiiType)])
                raise InputError(f"unknown PII type {name!r}; valid: {valid}") from None
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """One finding: `text[start:end]` is a value of `type`, with confidence `score` in [0, 1]."""

    start: int
    end: int
    type: PiiType
    score: float

    def value(self, text: str) -> str:
        return text[self.start : self.end]
