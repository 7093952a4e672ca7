"""Running the gateway: bind the port, start the embedded model when no upstream is set, say
what runs (the banner), then uvicorn on that socket."""

from __future__ import annotations

import errno
import logging
import signal
import socket
import sys
from collections.abc import Callable
from types import FrameType

from sekimori.errors import ConfigError
from sekimori.gateway.app import Gateway, Route
from sekimori.gateway.banner import describe
from sekimori.gateway.local import LOCAL_MODEL, LocalModel, start_local_model
from sekimori.lang import Text, locale_lang
from sekimori.settings import ServerSettings, Settings, UpstreamSettings
from sekimori.sockets import bind_socket

log = logging.getLogger("sekimori.gateway")


class _Stopped(Exception):
    """A stop signal arrived; unwinds `serve` so that the embedded model is stopped too."""


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise _Stopped(signum)


PORT_IN_USE = Text(
    en="port {port} on {host} is already in use (another `sekimori serve`?); stop that process "
    "(`ss -ltnp 'sport = :{port}'` shows it) or choose another port: "
    "sekimori serve --port {other}",
    ja="{host} のポート {port} は使用中です（別の `sekimori serve` が動いていませんか）。"
    "そのプロセスを止めるか（`ss -ltnp 'sport = :{port}'` で確認できます）、"
    "別のポートを指定してください: "
    "sekimori serve --port {other}",
)
PORT_DENIED = Text(
    en="not allowed to listen on port {port} (ports below 1024 need privileges); "
    "choose another port: sekimori serve --port 8787",
    ja="ポート {port} で待ち受ける権限がありません（1024 未満は特権が必要）。"
    "別のポートを指定してください: sekimori serve --port 8787",
)
HOST_UNKNOWN = Text(
    en="cannot listen on {host}: it is not an address of this machine; "
    "use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface): "
    "sekimori serve --host 127.0.0.1",
    ja="{host} で待ち受けられません（このマシンのアドレスではありません）。"
    "127.0.0.1（このマシンのみ）か 0.0.0.0（全インターフェース）を指定してください: "
    "sekimori serve --host 127.0.0.1",
)
CANNOT_LISTEN = Text(
    en="cannot listen on {host}:{port}: {reason}", ja="{host}:{port} で待ち受けられません: {reason}"
)


def listen(server: ServerSettings) -> socket.socket:
    """The gateway's listening socket; a busy port or a foreign address is a ConfigError (one
    line naming the fix), not a traceback."""
    try:
        return bind_socket(server.host, server.port)
    except OSError as exc:
        lang = locale_lang()
        values = {"host": server.host, "port": server.port}
        if exc.errno == errno.EADDRINUSE:
            message = PORT_IN_USE(lang, other=server.port + 1, **values)
        elif exc.errno == errno.EACCES:
            message = PORT_DENIED(lang, **values)
        elif exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
            message = HOST_UNKNOWN(lang, **values)
        else:
            message = CANNOT_LISTEN(lang, reason=exc.strerror or exc, **values)
        raise ConfigError(message, key="server.port") from None


def setup_process() -> None:
    """Logging and the GIL hand-over of a gateway process (`serve`, and each of its workers)."""
    logging.basicConfig(level=logging.INFO, format="sekimori: %(message)s", stream=sys.stderr)
    # httpx logs every request at INFO: noise, and a cost on the hot path.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # A thread that waits for the GIL gets it after at most this long: 1 ms, not the default
    # 5 ms, so a short classifier call does not queue behind a long text's pure-Python steps
    # at every hand-over (bench/gateway/NOISY.md).
    sys.setswitchinterval(0.001)
    # SIGHUP reloads the policy where there is one to reload (the app installs that handler);
    # elsewhere it must not stop the process, as its default action would.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def run_app(app: Gateway, sock: socket.socket) -> None:
    """uvicorn serving `app` on the bound `sock` until a stop signal."""
    import uvicorn

    config = uvicorn.Config(
        app,
        lifespan="on",
        log_level="warning",
        access_log=False,
        backlog=2048,
        timeout_graceful_shutdown=10,
    )
    uvicorn.Server(config).run(sockets=[sock])


def serve(settings: Settings, *, console: Callable[[Gateway], Route] | None = None) -> int:
    """Run until stopped; `console` builds the /admin app (the CLI hands in the console's)."""
    setup_process()
    local: LocalModel | None = None
    stopped_by: int | None = None
    server = settings.server
    # Bound first: a busy port is said at once, not after the embedded model has loaded.
    sock = listen(server)
    workers = server.workers
    try:
        if workers > 1:
            from sekimori.gateway.workers import Supervisor, hold_port, prepare

            sock = hold_port(sock)
            # Before the embedded model starts: a refused setting is said at once too.
            keys = prepare(settings)
        if not settings.upstreams:
            local = start_local_model(settings.local_model)
            # The embedded model sends nothing until a non-streamed answer (up to 512 tokens by
            # default) is whole, on this machine's CPU: on a busy one that is not a hang at 120 s.
            upstream = UpstreamSettings(url=local.url, models=(LOCAL_MODEL,), read_timeout=600)
            settings = settings.model_copy(update={"upstreams": {"local": upstream}})
        elif settings.local_model is not None:
            raise ConfigError(
                "the embedded model runs only when no upstream is configured; remove "
                "--local-model (local_model) or the upstreams / 組み込みモデルは上流が未設定の"
                "ときだけ動きます",
                key="local_model",
            )
        if workers == 1:
            app = Gateway(settings, console=console)
            app.open_stores()
            keys = None if app.keys is None else app.keys.active_count()
        port = sock.getsockname()[1]
        if server.port == 0:
            print(f"PORT={port}", flush=True)
        host = f"[{server.host}]" if ":" in server.host else server.host
        banner = describe(
            settings,
            locale_lang(),
            address=f"http://{host}:{port}/v1",
            local_model=None if local is None else local.name,
            keys=keys,
        )
        print(banner.render(), file=sys.stderr, flush=True)
        if workers > 1:
            stopped_by = Supervisor(settings, sock, console).run()
            if stopped_by is None:
                return 1  # the workers kept failing; the supervisor said why
        else:
            # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal with the
            # handler it found installed: ours, so `finally` still runs instead of a silent death.
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, _raise_stopped)
            run_app(app, sock)
    except _Stopped as stop:
        stopped_by = stop.args[0]
    finally:
        sock.close()
        if local is not None:
            local.stop()
    if stopped_by is not None:
        # Exit as the signal says, as uvicorn would have: supervisors read the status.
        signal.signal(stopped_by, signal.SIG_DFL)
        signal.raise_signal(stopped_by)
    return 0
