"""Which store a URL picks, and where the URL comes from (settings, environment, nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sekimori.errors import ConfigError
from sekimori.settings import load_settings
from sekimori.store.backend import STORE_BACKENDS, SqliteBackend, open_backend


def test_the_url_comes_from_the_settings_then_the_environment(tmp_path: Path) -> None:
    env = {"SEKIMORI_HOME": str(tmp_path), "SEKIMORI_STORE_URL": "postgresql://env/db"}
    assert load_settings(environ={"SEKIMORI_HOME": str(tmp_path)}).store.url is None
    assert load_settings(environ=env).store.url == "postgresql://env/db"
    chosen = load_settings(overrides={"store": {"url": "postgresql://file/db"}}, environ=env)
    assert chosen.store.url == "postgresql://file/db"


def test_no_url_is_sqlite_in_the_data_directory(tmp_path: Path) -> None:
    backend = open_backend(None, tmp_path)
    assert backend == SqliteBackend(tmp_path) and backend.local
    keys = backend.keys()
    keys.close()
    assert (tmp_path / "keys.db").exists()
    assert {"sqlite", "postgresql", "postgres"} <= set(STORE_BACKENDS.names())


def test_an_unknown_scheme_names_the_key_and_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        open_backend("mysql://u:secret@db/x", tmp_path)
    message = str(caught.value)
    assert message.startswith("store.url: unknown store 'mysql://u:***@db/x'")
    assert "postgresql://" in message and "secret" not in message
