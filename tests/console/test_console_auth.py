"""The console's gate, in process (Starlette's TestClient over the real Gateway app, a real
SQLite data directory): no route without a session, CSRF on every POST, cookie flags, the login
throttle, and the console off when no admin credential exists."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from sekimori.console.accounts import Accounts, check_password, new_account
from sekimori.console.app import Console
from sekimori.errors import InputError
from sekimori.gateway.app import Gateway
from sekimori.screen import AllowAll
from sekimori.settings import Settings
from sekimori.store.sketches import WATCH_DB, AlertRow, SqliteSketchStore

TOKEN = "in-process-token-0123456789"
PUBLIC = {("GET", "/admin/login"), ("POST", "/admin/login"), ("GET", "/admin/lang"),
          ("GET", "/admin/static/console.css")}  # fmt: skip


def _gateway(home: Path, token: str | None) -> Gateway:
    server = {"admin_token": token} if token else {}
    settings = Settings.model_validate({"home": home, "server": server})
    return Gateway(settings, screen=AllowAll(), console=Console)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(_gateway(tmp_path, TOKEN), base_url="https://testserver") as c:
        yield c


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _login(client: TestClient, password: str = TOKEN, account: str = "") -> int:
    csrf = _csrf(client.get("/admin/login").text)
    form = {"csrf": csrf, "account": account, "password": password}
    return client.post("/admin/login", data=form, follow_redirects=False).status_code


def test_every_admin_route_refuses_without_a_session(client: TestClient) -> None:
    gateway = client.app
    assert isinstance(gateway, Gateway) and isinstance(gateway.console, Console)
    walked = set()
    for route in gateway.console.app.routes:
        assert isinstance(route, Route)
        path = route.path.replace("{seq:int}", "1").replace("{run}", "x")
        for method in sorted(route.methods or ()):
            if method == "HEAD":
                continue
            walked.add((method, route.path))
            if (method, route.path) in PUBLIC:
                continue
            response = client.request(method, path, follow_redirects=False)
            if method == "GET":
                assert response.status_code == 303, path
                assert response.headers["location"].startswith("/admin/login?next=")
            else:
                assert response.status_code == 401, path
            assert "sekimori_admin" not in response.headers.get("set-cookie", "")
    assert walked >= PUBLIC and len(walked) > len(PUBLIC) + 10
    # The gateway's own admin route wants the token too.
    assert client.post("/admin/policy/reload").status_code == 401
    assert client.get("/admin/nope", follow_redirects=False).status_code == 404


def test_login_sets_a_strict_http_only_secure_session_and_csrf_guards_posts(
    client: TestClient,
) -> None:
    assert _login(client, password="wrong") == 401
    # Without the login form's own token the password is not even tried.
    bad = client.post("/admin/login", data={"csrf": "forged", "password": TOKEN})
    assert bad.status_code == 403
    page = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={"csrf": _csrf(page.text), "password": TOKEN, "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/admin"
    cookie = next(c for c in response.headers.get_list("set-cookie") if "sekimori_admin" in c)
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" in cookie
    keys = client.get("/admin/keys")
    assert keys.status_code == 200
    assert "default-src 'none'" in keys.headers["content-security-policy"]
    # A POST without the session's CSRF token changes nothing.
    forged = client.post("/admin/keys/create", data={"tenant": "evil"})
    assert forged.status_code == 403
    assert "evil" not in client.get("/admin/keys").text
    made = client.post("/admin/keys/create", data={"tenant": "good", "csrf": _csrf(keys.text)})
    assert made.status_code == 200 and "sk-sek-" in made.text


def test_logins_are_throttled_per_address(client: TestClient) -> None:
    for _ in range(5):
        assert _login(client, password="guess") == 401
    csrf = _csrf(client.get("/admin/login").text)
    throttled = client.post("/admin/login", data={"csrf": csrf, "password": TOKEN})
    assert throttled.status_code == 429  # even the right token waits
    assert int(throttled.headers["retry-after"]) > 0
    assert "Too many failed logins" in throttled.text


def test_accounts_log_in_with_their_own_password(tmp_path: Path) -> None:
    Accounts(tmp_path).add("bob", "a long enough password")
    assert (tmp_path / "admins.json").stat().st_mode & 0o077 == 0
    stored = Accounts(tmp_path).get("bob")
    assert stored is not None and "a long enough password" not in stored.digest
    assert check_password(stored, "a long enough password")
    assert not check_password(stored, "a long enough passwore")
    with pytest.raises(InputError, match="at least 12"):
        new_account("carol", "short")
    with TestClient(_gateway(tmp_path, None), base_url="https://testserver") as c:
        assert _login(c, password="a long enough password", account="bob") == 303
        assert "bob" in c.get("/admin").text


def test_console_is_off_without_an_admin_credential(tmp_path: Path) -> None:
    with TestClient(_gateway(tmp_path, None)) as c:
        response = c.get("/admin/login")
        assert response.status_code == 404
        assert "sekimori admin add" in response.text and "server.admin_token" in response.text
        assert c.post("/admin/login", data={"password": "x"}).status_code == 404
        (tmp_path / "admins.json").write_text("{not json", encoding="utf-8")
        broken = c.get("/admin/login")
        assert broken.status_code == 503 and "admins.json" in broken.text


def test_a_session_and_the_throttle_hold_across_workers(tmp_path: Path) -> None:
    """`serve --workers N`: each worker has its own Console over the same data directory."""
    with (
        TestClient(_gateway(tmp_path, TOKEN), base_url="https://testserver") as one,
        TestClient(_gateway(tmp_path, TOKEN), base_url="https://testserver") as two,
    ):
        assert _login(one) == 303
        two.cookies.update(one.cookies)
        assert two.get("/admin/keys", follow_redirects=False).status_code == 200
        logout = one.post("/admin/logout", data={"csrf": _csrf(one.get("/admin/keys").text)})
        assert logout.status_code == 200  # followed to the login page
        assert two.get("/admin/keys", follow_redirects=False).status_code == 303
        for _ in range(5):
            assert _login(one, password="guess") == 401
        assert _login(two) == 429


def test_the_watch_page_shows_alerts_newest_first_in_the_admins_language(tmp_path: Path) -> None:
    store = SqliteSketchStore(tmp_path / WATCH_DB)
    alerts = [
        AlertRow(
            ts=1_790_000_000.0 + i, detector="extraction", unit="key", action="flag",
            tenant="acme", key_id=f"{i:012x}", score=0.9, level=0.5, category=None,
            reason_en=f"reason number {i}", reason_ja=f"理由その{i}", features={"n": 1.0},
        )
        for i in range(3)
    ]  # fmt: skip
    store.append([], alerts)
    store.close()
    with TestClient(_gateway(tmp_path, TOKEN), base_url="https://testserver") as c:
        assert _login(c) == 303
        page = c.get("/admin/watch").text
        assert page.index("reason number 2") < page.index("reason number 0")
        assert '/admin/audit?key_id=000000000001"' in page
        c.get("/admin/lang", params={"to": "ja"})
        assert "理由その1" in c.get("/admin/watch").text


def test_a_store_that_fails_is_a_page_naming_it(tmp_path: Path) -> None:
    with TestClient(_gateway(tmp_path, TOKEN), base_url="https://testserver") as c:
        assert _login(c) == 303
        watch = tmp_path / WATCH_DB
        if watch.exists():  # the gateway's own handle keeps the file it opened
            watch.rename(tmp_path / "moved.db")
        watch.mkdir()  # the watch's database cannot be opened now
        page = c.get("/admin/watch")
        assert page.status_code == 503 and WATCH_DB in page.text
        assert "Traceback" not in page.text
