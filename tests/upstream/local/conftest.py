"""Fixtures for the embedded model: its packaged weights file and a real server process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sekimori.upstream.local.models import DEFAULT_MODEL, LOCAL_MODELS
from sekimori.upstream.local.tokenizer import Tokenizer
from sekimori.upstream.local.weights import locate, read_metadata

SRC = Path(__file__).resolve().parents[3] / "src"


@pytest.fixture(scope="session")
def weights_path() -> Path:
    return locate(LOCAL_MODELS.get(DEFAULT_MODEL).weights)


@pytest.fixture(scope="session")
def metadata(weights_path: Path) -> Any:
    return read_metadata(weights_path)


@pytest.fixture(scope="session")
def tokenizer(metadata: Any) -> Tokenizer:
    return Tokenizer(metadata)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """`python -m sekimori.upstream.local` exactly as the gateway starts it, on a free port."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sekimori.upstream.local",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                output = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"local model server exited with {proc.returncode}: {output}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("local model server did not become healthy in 120 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
