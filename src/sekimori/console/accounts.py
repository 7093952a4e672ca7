"""Admin accounts of the console: `admins.json` in the data directory, passwords under scrypt.

scrypt is memory-hard (n=2**14, r=8: 16 MiB a guess), so a copied file is slow to attack; each
password has its own salt. The file is 0600 like everything in the data directory.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from sekimori.errors import InputError, StoreError
from sekimori.home import private_file

ACCOUNTS_FILE = "admins.json"
MIN_PASSWORD = 12
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_N, _R, _P = 2**14, 8, 1


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    salt: str  # hex
    digest: str  # hex scrypt of the password
    n: int = _N
    r: int = _R
    p: int = _P


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> str:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 2**20).hex()


def new_account(name: str, password: str) -> Account:
    """An account with a fresh salt; raises InputError for a bad name or a short password."""
    if not _NAME.match(name):
        raise InputError(
            f"admin name {name!r} must be 1-64 letters, digits, '.', '_', '@' or '-' "
            "/ 管理者名は英数字と . _ @ - の64文字以内です"
        )
    if len(password) < MIN_PASSWORD:
        raise InputError(
            f"the password must have at least {MIN_PASSWORD} characters "
            f"/ パスワードは {MIN_PASSWORD} 文字以上にしてください"
        )
    salt = secrets.token_bytes(16)
    return Account(name, salt.hex(), _scrypt(password, salt, _N, _R, _P))


def check_password(account: Account, password: str) -> bool:
    given = _scrypt(password, bytes.fromhex(account.salt), account.n, account.r, account.p)
    return hmac.compare_digest(given, account.digest)


class Accounts:
    """The accounts file; read on every login, so `sekimori admin add` applies at once."""

    def __init__(self, home: Path) -> None:
        self.path = home / ACCOUNTS_FILE

    def all(self) -> dict[str, Account]:
        if not self.path.exists():
            return {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return {name: Account(name=name, **fields) for name, fields in raw.items()}
        except (OSError, ValueError, TypeError) as exc:
            raise StoreError(
                f"admin accounts {self.path}: {exc} / 管理者ファイルを読めません"
            ) from None

    def get(self, name: str) -> Account | None:
        return self.all().get(name)

    def save(self, accounts: dict[str, Account]) -> None:
        body = {
            a.name: {"salt": a.salt, "digest": a.digest, "n": a.n, "r": a.r, "p": a.p}
            for a in accounts.values()
        }
        tmp = self.path.with_suffix(".tmp")
        private_file(tmp)
        tmp.write_text(json.dumps(body, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)  # whole or not at all

    def add(self, name: str, password: str) -> Account:
        account = new_account(name, password)
        accounts = self.all()
        accounts[name] = account
        self.save(accounts)
        return account

    def remove(self, name: str) -> None:
        accounts = self.all()
        if accounts.pop(name, None) is None:
            raise InputError(f"no admin account {name!r} / 管理者 {name!r} はいません")
        self.save(accounts)
