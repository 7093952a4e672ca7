"""A newcomer's first start: the banner says what runs, a busy port is one line, doctor checks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sekimori.sockets import free_port
from sekimori.testing.procs import ServerProcess, create_key, run_cli, start_gateway
from tests.gateway.conftest import write_config

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
JA = {"LANG": "ja_JP.UTF-8"}


@pytest.fixture(scope="module")
def unscreened(
    upstream: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, Path, Path]]:
    """A gateway whose settings file turns screening off, as the old docs example did."""
    home = tmp_path_factory.mktemp("home")
    config = write_config(
        home / "sekimori.yaml",
        f"upstreams:\n  fake:\n    url: {upstream.url}\nscreen:\n  name: allow\n",
    )
    with start_gateway(home, "--config", str(config)) as gateway:
        yield gateway, home, config


def test_the_banner_says_what_runs_and_warns_that_screening_is_off(
    unscreened: tuple[ServerProcess, Path, Path], upstream: ServerProcess
) -> None:
    gateway, home, config = unscreened
    said = gateway.stderr_text()
    assert f"http://127.0.0.1:{gateway.port}/v1" in said
    assert f"fake = {upstream.url}" in said
    assert str(home) in said and str(home / "audit.db") in said and str(config) in said
    warning = next(line for line in said.splitlines() if "SCREENING IS OFF" in line)
    assert warning.startswith("!! WARNING") and "remove `screen: name: allow`" in warning
    # No key exists in this fresh data directory: the banner says how to make one.
    assert "sekimori keys create --tenant NAME" in said


def test_a_busy_port_is_one_line_with_the_fix(
    unscreened: tuple[ServerProcess, Path, Path], upstream: ServerProcess, tmp_path: Path
) -> None:
    gateway, _, _ = unscreened
    port = str(gateway.port)
    args = ("serve", "--port", port, "--upstream", upstream.url, "--screen", "allow")
    for env, words in ((None, "is already in use"), (JA, "使用中です")):
        result = run_cli(tmp_path, *args, env=env)
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert words in lines[0] and f"--port {gateway.port + 1}" in lines[0]
        assert "Traceback" not in result.stderr


def test_auth_off_and_an_ignored_policy_are_warned(upstream: ServerProcess, tmp_path: Path) -> None:
    policy = ROOT / "examples" / "policy.yaml"
    args = ("--upstream", upstream.url, "--screen", "keywords", "--policy", str(policy))
    with start_gateway(tmp_path, *args, "--insecure-no-auth", env=JA) as gateway:
        said = gateway.stderr_text()
    assert "!! 警告: 認証が無効です" in said
    assert "keywords` はテスト用の検査です" in said
    assert f"ポリシー（ファイル {policy}）が指定されていますが" in said


def test_doctor_reports_the_policy_keys_and_a_reachable_upstream(
    upstream: ServerProcess, tmp_path: Path
) -> None:
    create_key(tmp_path, "acme")
    policy = ROOT / "examples" / "policy.yaml"
    port = str(free_port())
    args = ("doctor", "--port", port, "--upstream", upstream.url, "--policy", str(policy))
    result = run_cli(tmp_path, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert f"file {policy}" in out and "1 active" in out
    assert f"127.0.0.1:{port} is free" in out
    assert "answered HTTP 200" in out
    assert "0 check(s) failed" in out


def test_doctor_on_a_bad_data_directory_and_an_unreachable_upstream(tmp_path: Path) -> None:
    home = tmp_path / "not-a-directory"
    home.write_text("x", encoding="utf-8")
    dead = f"http://127.0.0.1:{free_port()}/v1"
    result = run_cli(home, "doctor", "--port", "0", "--upstream", dead)
    assert result.returncode == 1
    out = result.stdout
    assert f"FAIL  data       {home} is not a directory" in out
    assert "fix: export SEKIMORI_HOME=DIR" in out
    assert f"FAIL  upstream   cli = {dead}: unreachable" in out
    assert "fix: start the model server there" in out
    assert "Traceback" not in result.stderr


def test_doctor_on_a_busy_port(
    unscreened: tuple[ServerProcess, Path, Path], upstream: ServerProcess, tmp_path: Path
) -> None:
    gateway, _, _ = unscreened
    args = ("doctor", "--port", str(gateway.port), "--upstream", upstream.url)
    result = run_cli(tmp_path, *args)
    assert result.returncode == 1
    assert f"port {gateway.port} on 127.0.0.1 is already in use" in result.stdout


def test_an_unknown_local_model_is_one_line_naming_the_known_ones(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "serve", "--port", "0", "--local-model", "gpt-17")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert "local_model: unknown embedded model 'gpt-17'" in line
    assert "smollm2-135m" in line and "qwen2.5-coder-0.5b" in line


def test_a_japanese_model_that_is_not_installed_names_its_extra(tmp_path: Path) -> None:
    from sekimori.upstream.local.models import LOCAL_MODELS
    from sekimori.upstream.local.weights import installed

    if installed(LOCAL_MODELS.get("qwen2.5-coder-0.5b").weights):
        pytest.skip("the local-ja extra is installed here")
    result = run_cli(tmp_path, "serve", "--port", "0", "--local-model", "qwen2.5-coder-0.5b")
    assert result.returncode == 1
    line = result.stderr.strip().splitlines()[-1]
    assert "is not installed" in line and "pip install 'sekimori[local-ja]'" in line
    assert "installed now: smollm2-135m" in line or "installed now: -" in line


def test_the_settings_example_in_the_docs_keeps_screening_on(tmp_path: Path) -> None:
    from sekimori.gateway.banner import SCREEN_OFF, describe
    from sekimori.settings import load_settings

    page = (ROOT / "docs" / "gateway.md").read_text(encoding="utf-8")
    example = page.split("```yaml\n", 1)[1].split("```", 1)[0]
    config = write_config(tmp_path / "sekimori.yaml", example)
    settings = load_settings(config, environ={"SEKIMORI_HOME": str(tmp_path)})
    assert settings.screen.name == "policy"
    banner = describe(settings, "en", address="http://127.0.0.1:8787/v1", keys=1)
    said = banner.render()
    assert SCREEN_OFF("en", screen="allow")[:20] not in said and not banner.warnings
    assert f"file {tmp_path / 'policy.yaml'}" in said


def test_the_banner_names_the_limit_store_without_its_password(tmp_path: Path) -> None:
    from sekimori.gateway.banner import describe
    from sekimori.settings import load_settings

    url = "redis://:hunter2@127.0.0.1:6379/0"
    settings = load_settings(
        overrides={"limits": {"url": url}}, environ={"SEKIMORI_HOME": str(tmp_path)}
    )
    said = describe(settings, "en", address="http://127.0.0.1:8787/v1", keys=1).render()
    assert "counted in redis://:***@127.0.0.1:6379/0" in said and "hunter2" not in said
    # The policy screen's verdicts are shared in that Redis by default.
    assert "shared in redis://:***@127.0.0.1:6379/0, per tenant" in said
    local = load_settings(environ={"SEKIMORI_HOME": str(tmp_path)})
    said = describe(local, "ja", address="http://127.0.0.1:8787/v1", keys=1).render()
    assert "このプロセス内で計数" in said and "プロセスごと" in said
    off = load_settings(
        overrides={"limits": {"url": url}, "screen": {"shared_cache": {"enabled": False}}},
        environ={"SEKIMORI_HOME": str(tmp_path)},
    )
    said = describe(off, "en", address="http://127.0.0.1:8787/v1", keys=1).render()
    assert "verdict cache" in said and "in each process" in said


def test_doctor_checks_the_limit_store(tmp_path: Path) -> None:
    dead = f"redis://:pw@127.0.0.1:{free_port()}/0"
    config = write_config(tmp_path / "s.yaml", f"limits: {{url: '{dead}'}}\n")
    args = ("doctor", "--port", "0", "--config", str(config), "--upstream", "http://127.0.0.1:9")
    result = run_cli(tmp_path, *args)
    assert result.returncode == 1
    assert "FAIL  limits" in result.stdout and "cannot connect" in result.stdout
    assert "pw@" not in result.stdout and "remove limits.url" in result.stdout
    live = write_config(tmp_path / "live.yaml", "limits: {url: 'redis://127.0.0.1:6379/0'}\n")
    result = run_cli(tmp_path, "doctor", "--port", "0", "--config", str(live))
    assert "ok    limits     redis://127.0.0.1:6379/0 accepts connections" in result.stdout
