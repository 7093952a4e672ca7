"""The tenants admin API (`/admin/api/tenants`) of a real gateway on each store (SQLite in its
data directory, a real PostgreSQL): a tenant's whole life over JSON, in force when the answer
leaves, seen by the CLI and audited; every mistake a named 4xx in the OpenAI shape, in English
and Japanese; the admin token guards it; `keys create` warns about a suspended tenant."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from sekimori.testing.load import keywords_config
from sekimori.testing.procs import ServerProcess, run_cli, start_gateway
from tests.store.conftest import STORES, store_of

pytestmark = [pytest.mark.integration]

TOKEN = "admin-secret-for-tests"
API = "/admin/api/tenants"


@dataclass
class Api:
    gateway: ServerProcess
    home: Path
    store: str | None  # None: SQLite in `home`

    def call(
        self, method: str, path: str, body: object = None, *, token: str | None = TOKEN
    ) -> httpx.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        content = body if isinstance(body, bytes) or body is None else orjson.dumps(body)
        # Bounds a hang only.
        return httpx.request(
            method, self.gateway.url + path, content=content, headers=headers, timeout=120
        )

    def cli(self, *args: str) -> tuple[int, str, str]:
        store = () if self.store is None else ("--store", self.store)
        ran = run_cli(self.home, *args, *store)
        return ran.returncode, ran.stdout, ran.stderr

    def chat(self, key: str) -> httpx.Response:
        body = {"model": "echo", "messages": [{"role": "user", "content": "hello"}]}
        return httpx.post(
            self.gateway.url + "/v1/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {key}"},
            timeout=120,
        )


@pytest.fixture(scope="module", params=STORES)
def api(
    request: pytest.FixtureRequest,
    upstream: ServerProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Api]:
    home = tmp_path_factory.mktemp(f"api-{request.param}")
    with store_of(request.param, request) as url:
        config = home / "sekimori.yaml"
        extra = f"server: {{admin_token: {TOKEN}}}\n"
        config.write_text(keywords_config(upstream.url, store_url=url, extra=extra), "utf-8")
        with start_gateway(home, "--config", str(config)) as gateway:
            yield Api(gateway, home, url)
            assert "Traceback" not in gateway.stderr_text()


def error_of(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    error: dict[str, Any] = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["code"] == code, error
    return error


def japanese(text: str) -> bool:
    return any("\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff" for c in text)


def test_a_tenants_life_over_the_api(api: Api) -> None:
    code, out, _ = api.cli("keys", "create", "--tenant", "acme")
    assert code == 0
    key = out.strip().splitlines()[-1]
    key_id = out.split()[2]
    assert api.chat(key).status_code == 200  # no row yet: the policy file alone
    assert api.call("GET", API).json() == {"object": "list", "data": []}

    body = {
        "name": "acme",
        "display_name": "Acme 株式会社",
        "limits": {"rpm": 600},
        "key_limits": {"tpm": 90000, "concurrent": None},
    }
    made = api.call("POST", API, body)
    assert made.status_code == 201, made.text
    row = made.json()
    assert row["object"] == "tenant" and row["name"] == "acme" and row["status"] == "active"
    assert row["display_name"] == "Acme 株式会社" and row["tier"] is None
    assert row["limits"] == {"rpm": 600} and row["key_limits"] == {"tpm": 90000}
    again = error_of(api.call("POST", API, {"name": "acme"}), 409, "tenant_exists")
    assert "already in the store" in again["message"] and japanese(again["message"])
    shown = api.call("GET", f"{API}/acme").json()
    assert shown["active_keys"] == [key_id] and shown["limits"] == {"rpm": 600}

    # Suspended: in force in this gateway when the answer leaves, no poll to wait for.
    suspended = api.call("POST", f"{API}/acme/suspend")
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    error_of(api.chat(key), 403, "tenant_suspended")
    code, out, _ = api.cli("tenants", "show", "acme")  # another process reads the same row
    assert code == 0 and "suspended" in out and "Acme 株式会社" in out
    # A key made meanwhile is made, with a warning in both languages.
    code, out, err = api.cli("keys", "create", "--tenant", "acme")
    second = out.strip().splitlines()[-1]
    assert code == 0 and second.startswith("sk-sek-")
    assert "tenant acme is suspended: this key is refused" in err and "停止中" in err
    error_of(api.chat(second), 403, "tenant_suspended")
    resumed = api.call("POST", f"{API}/acme/resume")
    assert resumed.status_code == 200 and resumed.json()["status"] == "active"
    assert api.chat(key).status_code == 200 and api.chat(second).status_code == 200

    changed = api.call("PATCH", f"{API}/acme", {"tier": "enterprise", "limits": {"rpm": None}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["tier"] == "enterprise" and changed.json()["limits"] == {}
    assert changed.json()["key_limits"] == {"tpm": 90000}  # what the body leaves stays
    back = api.call("PATCH", f"{API}/acme", {"tier": None, "display_name": "Acme"}).json()
    assert back["tier"] is None and back["display_name"] == "Acme"
    code, out, _ = api.cli("tenants", "set", "acme", "--rpm", "7")  # the CLI's change, seen here
    assert code == 0 and api.call("GET", API).json()["data"][0]["limits"] == {"rpm": 7}

    in_use = error_of(api.call("DELETE", f"{API}/acme"), 409, "tenant_in_use")
    assert key_id in in_use["message"] and "revoke them first" in in_use["message"]
    assert japanese(in_use["message"])
    second_id = second[len("sk-sek-") : len("sk-sek-") + 12]
    for revoked in (key_id, second_id):
        assert api.cli("keys", "revoke", revoked)[0] == 0
    gone = api.call("DELETE", f"{API}/acme")
    assert gone.json() == {"object": "tenant.deleted", "name": "acme", "deleted": True}
    missing = error_of(api.call("GET", f"{API}/acme"), 404, "tenant_not_found")
    assert missing["param"] == "name" and japanese(missing["message"])
    error_of(api.call("POST", f"{API}/acme/resume"), 404, "tenant_not_found")

    # Every change is a record of the audit chain, and the chain still verifies.
    code, out, _ = api.cli("audit", "tail", "--tenant", "(admin-api)", "--json", "-n", "50")
    actions = [orjson.loads(line)["categories"] for line in out.splitlines()]
    expected = ["tenant.create", "tenant.suspended", "tenant.active", "tenant.update"]
    assert code == 0 and sorted(actions) == sorted([*expected, "tenant.update", "tenant.remove"])
    assert api.cli("audit", "verify")[0] == 0


Mistake = tuple[str, str, object, int, str, str | None, str]


def bad(
    body: object, param: str | None, words: str, method: str = "POST", path: str = API
) -> Mistake:
    """A 400 `invalid_request` whose `param` names the field and whose message holds `words`."""
    return (method, path, body, 400, "invalid_request", param, words)


MISTAKES: list[Mistake] = [
    bad({}, "name", "name is required"),
    bad({"name": "bad name"}, "name", "must be 1-64 letters"),
    bad({"name": "x\n"}, "name", "must be 1-64 letters"),
    bad({"name": 7}, "name", "must be a string"),
    bad({"name": "x", "colour": "red"}, "colour", "unknown field 'colour'"),
    bad({"name": "x", "limits": {"rpm": -1}}, "limits.rpm", "whole number from 0"),
    bad({"name": "x", "limits": {"rps": 1}}, "limits.rps", "unknown limit 'rps'"),
    bad({"name": "x", "key_limits": {"tpm": True}}, "key_limits.tpm", "whole number"),
    bad({"name": "x", "limits": [1]}, "limits", "an object"),
    bad({"name": "x", "limits": None}, "limits", "an object"),
    bad({"status": None}, "status", "'active' or 'suspended'", "PATCH", f"{API}/ghost"),
    bad({"display_name": None}, "display_name", "must be a string", "PATCH", f"{API}/ghost"),
    bad({"name": "x", "tier": "platinum"}, "tier", "not defined in"),
    bad({"name": "x", "tier": "a.b"}, "tier", "letters, digits"),
    bad({"name": "x", "status": "gone"}, "status", "'active' or 'suspended'"),
    bad({"name": "x", "status": {}}, "status", "'active' or 'suspended'"),  # unhashable: was a 500
    bad({"name": "x", "display_name": "a\nb"}, "display_name", "no control characters"),
    bad(b"{not json", None, "JSON object"),
    bad(b"[1, 2]", None, "JSON object"),
    bad({}, None, "nothing to change", "PATCH", f"{API}/ghost"),
    bad({"name": "y"}, "name", "cannot be renamed", "PATCH", f"{API}/ghost"),
    bad(None, "name", "must be 1-64 letters", "GET", f"{API}/bad%20name"),
    # An encoded slash is part of one (bad) name, not a name and an action.
    bad(None, "name", "must be 1-64 letters", "GET", f"{API}/a%2Fsuspend"),
    ("POST", API, b'{"name": "' + b"x" * 70000 + b'"}', 413, "request_too_large", None, "bytes"),
    ("PATCH", f"{API}/ghost", {"status": "active"}, 404, "tenant_not_found", "name", "ghost"),
    ("DELETE", f"{API}/ghost", None, 404, "tenant_not_found", "name", "no tenant 'ghost'"),
    ("POST", f"{API}/ghost/explode", None, 404, "not_found", None, "no route"),
    ("GET", "/admin/api/keys", None, 404, "not_found", None, "no route"),
    ("PUT", API, {"name": "x"}, 405, "method_not_allowed", None, "use GET, POST"),
    ("GET", f"{API}/ghost/suspend", None, 405, "method_not_allowed", None, "use POST"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code", "param", "words"),
    MISTAKES,
    ids=[f"{m[0]} {m[1]} {m[5]} {m[6]}" for m in MISTAKES],
)
def test_mistakes_are_named_where_they_are(
    api: Api,
    method: str,
    path: str,
    body: object,
    status: int,
    code: str,
    param: str | None,
    words: str,
) -> None:
    r = api.call(method, path, body)
    error = error_of(r, status, code)
    assert error["param"] == param and words in error["message"], error
    if status != 404 or code == "tenant_not_found":
        assert japanese(error["message"]), error
    if status == 405:
        assert r.headers["allow"] in {"GET, POST", "POST"}
    assert api.call("GET", f"{API}/x").status_code == 404  # nothing bad was added


def test_the_admin_token_guards_it(api: Api) -> None:
    error_of(api.call("GET", API, token=None), 401, "invalid_admin_token")
    error_of(api.call("POST", API, {"name": "x"}, token="wrong"), 403, "forbidden")
    headers = {"Authorization": b"Bearer " + "管理者".encode()}
    odd = httpx.get(api.gateway.url + API, headers=headers, timeout=120)  # non-ASCII: no 500
    error_of(odd, 403, "forbidden")
    assert api.call("GET", f"{API}/x", token=None).status_code == 401  # no 404 to the unknown


def test_without_keys_there_are_no_tenants(upstream: ServerProcess, tmp_path: Path) -> None:
    config = tmp_path / "sekimori.yaml"
    config.write_text(keywords_config(upstream.url), "utf-8")
    with start_gateway(tmp_path, "--config", str(config), "--insecure-no-auth") as gateway:
        r = httpx.get(gateway.url + API, timeout=120)  # from this machine, no token set
        error = error_of(r, 409, "tenants_unavailable")
        assert "--insecure-no-auth" in error["message"] and japanese(error["message"])
