"""Running the gateway: the embedded model when no upstream is set, then uvicorn on one socket."""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType

from sekimori.gateway.app import Gateway
from sekimori.gateway.local import LOCAL_MODEL, LocalModel, start_local_model
from sekimori.settings import Settings, UpstreamSettings
from sekimori.sockets import bind_socket

log = logging.getLogger("sekimori.gateway")


class _Stopped(Exception):
    """A stop signal arrived; unwinds `serve` so that the embedded model is stopped too."""


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise _Stopped(signum)


def serve(settings: Settings) -> int:
    logging.basicConfig(level=logging.INFO, format="sekimori: %(message)s", stream=sys.stderr)
    # httpx logs every request at INFO: noise, and a cost on the hot path.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    local: LocalModel | None = None
    stopped_by: int | None = None
    if not settings.upstreams:
        local = start_local_model()
        upstream = UpstreamSettings(url=local.url, models=(LOCAL_MODEL,))
        settings = settings.model_copy(update={"upstreams": {"local": upstream}})
    try:
        app = Gateway(settings)
        app.open_stores()
        server = settings.server
        sock = bind_socket(server.host, server.port)
        port = sock.getsockname()[1]
        if server.port == 0:
            print(f"PORT={port}", flush=True)
        log.info(
            "listening on http://%s:%d (data: %s, upstreams: %s)",
            server.host,
            port,
            settings.home,
            ", ".join(f"{n}={u.url}" for n, u in settings.upstreams.items()),
        )
        import uvicorn

        config = uvicorn.Config(
            app,
            lifespan="on",
            log_level="warning",
            access_log=False,
            backlog=2048,
            timeout_graceful_shutdown=10,
        )
        # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal with the
        # handler it found installed: ours, so `finally` still runs instead of a silent death.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _raise_stopped)
        uvicorn.Server(config).run(sockets=[sock])
    except _Stopped as stop:
        stopped_by = stop.args[0]
    finally:
        if local is not None:
            local.stop()
    if stopped_by is not None:
        # Exit as the signal says, as uvicorn would have: supervisors read the status.
        signal.signal(stopped_by, signal.SIG_DFL)
        signal.raise_signal(stopped_by)
    return 0
