"""The gateway's ASGI app: routes, authentication, lifespan. Pure ASGI, no middleware stack."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
import signal
import time
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from typing import Any, Protocol

import orjson

import sekimori.gateway.screening  # noqa: F401  (registers the `policy` screen)
from sekimori.audit.record import AuditRecord, AuditStore
from sekimori.audit.recorder import BatchingRecorder
from sekimori.audit.spool import SpoolingAuditStore
from sekimori.errors import SekimoriError, StoreError
from sekimori.gateway.admin import OPERATIONS as TENANTS_API_OPERATIONS
from sekimori.gateway.admin import TenantsApi, is_admin_api
from sekimori.gateway.chat import ChatHandler, Exchange, request_ids
from sekimori.gateway.errors import HttpError, internal, not_allowed
from sekimori.gateway.keys import KeyCache, Principal
from sekimori.gateway.limiting import Grant, Limiter
from sekimori.gateway.metrics import Metrics
from sekimori.gateway.openapi import build_document
from sekimori.gateway.parse import (
    BodyBudget,
    ChatRequest,
    ClientDisconnected,
    parse_chat,
    parse_completion,
    parse_embedding,
    parse_response,
    read_body,
)
from sekimori.gateway.tenants import REFRESH_S as TENANTS_REFRESH_S
from sekimori.gateway.tenants import TenantBook
from sekimori.gateway.watching import Watching, screen_scorer
from sekimori.home import AUDIT_KEY, secret_key
from sekimori.policy import TenantOverride
from sekimori.screen import (
    Closing,
    Counted,
    Reloadable,
    Screen,
    TenantAware,
    Warming,
    load_screen,
)
from sekimori.settings import Settings, is_loopback
from sekimori.store.backend import ReloadBus, open_backend
from sekimori.store.notify import open_reload_bus
from sekimori.store.sanctions import open_sanction_store
from sekimori.store.sketches import SketchStore
from sekimori.upstream.routing import Upstreams
from sekimori.watch.actions import REFRESH_S, Sanctions
from sekimori.watch.compose import Composer
from sekimori.watch.live import LiveWatch, Seen

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Route = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("sekimori.gateway")
ANONYMOUS = Principal(tenant="anonymous", key_id="-")
_JSON = [(b"content-type", b"application/json")]
_MODEL_PREFIX = "/v1/models/"
# Bodies below this are parsed on the event loop (about 1 ms); larger ones in a thread.
PARSE_INLINE_BYTES = 256 * 1024
# Stands in for a request whose body was refused before it could be read as one.
UNPARSED = ChatRequest(model="", stream=False, include_usage=False, messages=(), body={})
# The screened endpoints: each path's parser (which names the request's wire shape).
_PARSERS: dict[str, Callable[..., ChatRequest]] = {
    "/v1/chat/completions": parse_chat,
    "/v1/completions": parse_completion,
    "/v1/embeddings": parse_embedding,
    "/v1/responses": parse_response,
}


class Supervised(Protocol):
    """The supervisor of a worker of `serve --workers N` (sekimori.gateway.workers)."""

    def ready(self) -> None: ...

    def reload_others(self) -> None:
        """Have the other workers re-read the policy (this one has)."""
        ...


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
    """Run `callback` on `loop` (from another thread); a loop already closed drops it."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(callback)


def _unauthorized(message: str) -> HttpError:
    return HttpError(401, message, code="invalid_api_key")


class Gateway:
    """`Gateway(settings)` is the ASGI app; it opens its stores at lifespan startup."""

    def __init__(
        self,
        settings: Settings,
        *,
        screen: Screen | None = None,
        upstreams: Upstreams | None = None,
        console: Callable[[Gateway], Route] | None = None,
        group: str | None = None,
        supervisor: Supervised | None = None,
    ) -> None:
        """`group` names this gateway's process group in reload notices (one per `serve`);
        `supervisor` is set in a worker of `serve --workers N`."""
        self.settings = settings
        self.group = group or secrets.token_hex(8)
        self._supervisor = supervisor
        self._bus: ReloadBus | None = None
        self.metrics = Metrics()
        self.screen = screen if screen is not None else load_screen(settings)
        self.upstreams = (
            upstreams if upstreams is not None else Upstreams.from_settings(settings.upstreams)
        )
        self.sanctions = Sanctions()  # the watch imposes them, the limiter applies them
        self.limiter = Limiter(settings, metrics=self.metrics, sanctions=self.sanctions)
        self.keys: KeyCache | None = None
        self.tenants: TenantBook | None = None  # the store's tenant rows (with keys only)
        self._tenant_task: asyncio.Future[None] | None = None
        # One re-read and apply at a time: the poll's, or one an admin API change asks for (which
        # then answers only once the change is in force here, not while the poll applies it).
        self._tenant_lock = asyncio.Lock()
        self._overrides: tuple[TenantOverride, ...] = ()  # what the policy has from the rows
        self._audit_store: AuditStore | None = None
        self.audit_key: bytes | None = None
        self.recorder: BatchingRecorder[AuditRecord] | None = None
        self._sketch_store: SketchStore | None = None
        self.sketches: BatchingRecorder[Seen] | None = None
        self.chat: ChatHandler | None = None
        self.ready = False
        self._reload_task: asyncio.Future[tuple[bool, str]] | None = None
        self._sanction_task: asyncio.Future[None] | None = None
        self.max_body = settings.server.max_body_bytes
        self.bodies = BodyBudget(settings.server.max_inflight_bytes)
        self.max_messages = settings.server.max_messages
        self._parsing = asyncio.Lock()
        self._routes: dict[tuple[str, str], Route] = {
            **{("POST", path): self._chat for path in _PARSERS},
            ("GET", "/v1/models"): self._models,
            ("GET", "/healthz"): self._healthz,
            ("GET", "/readyz"): self._readyz,
            ("GET", "/metrics"): self._metrics,
            ("POST", "/admin/policy/reload"): self._reload,
            ("GET", "/openapi.json"): self._openapi,
        }
        self._allowed: dict[str, list[str]] = {}
        for method, path in self._routes:
            self._allowed.setdefault(path, []).append(method)
        self._server = settings.server
        self._document = b""
        self._document_tiers: tuple[str, ...] | None = None
        self.tenants_api = TenantsApi(self)  # JSON under /admin/api
        # The admin console (a layer above: handed in, never imported) answers the rest of
        # /admin; its own app, so /v1 stays pure ASGI.
        self.console: Route | None = console(self) if console is not None else None

    @property
    def operations(self) -> frozenset[tuple[str, str]]:
        """Every (method, path template) the app answers: what /openapi.json must document."""
        return frozenset({*self._routes, ("GET", _MODEL_PREFIX + "{id}"), *TENANTS_API_OPERATIONS})

    def open_stores(self) -> None:
        """Open the key and audit stores; raises StoreError naming the file or URL."""
        backend = open_backend(self.settings.store.url, self.settings.home)
        if self._bus is None and self._reloadable:
            self._bus = open_reload_bus(self.settings, backend, self.group)
        if self.settings.server.auth and self.keys is None:
            self.keys = KeyCache(backend.keys())
        if self.settings.server.auth and self.tenants is None:
            self.tenants = TenantBook(backend.tenants())
        if self._audit_store is None:
            store = backend.audit()
            if not backend.local:  # a remote store may go down: spool, then replay in order
                store = SpoolingAuditStore(
                    store, self.settings.home / self.settings.store.spool_file
                )
            self._audit_store = store
        if self.audit_key is None:
            self.audit_key = secret_key(self.settings.home / AUDIT_KEY)
        if self.settings.watch.sketches and self._sketch_store is None:
            self._sketch_store = backend.sketches()
            # Its own connection: the refresh never waits on the writer's batch.
            self.sanctions.store = open_sanction_store(self.settings, backend)

    @property
    def audit_store(self) -> AuditStore | None:
        """The audit store this gateway writes (the console verifies the chain through it)."""
        return self._audit_store

    async def startup(self) -> None:
        self.open_stores()
        assert self._audit_store is not None and self.audit_key is not None
        audit = self.settings.audit
        self.recorder = BatchingRecorder(
            self._audit_store,
            flush_interval_ms=audit.flush_interval_ms,
            max_pending=audit.max_pending,
        )
        self.recorder.start()
        recorder = self.recorder
        self.metrics.audit_failures = lambda: recorder.failures
        spool = self._audit_store
        if isinstance(spool, SpoolingAuditStore):
            self.metrics.audit_spooled = lambda: spool.spooled
        if isinstance(self.screen, Counted):
            self.metrics.screen_work = self.screen.counts
        watch = None
        if self._sketch_store is not None:
            limiter = self.limiter
            composer = None
            if self.settings.watch.compose:
                composer = Composer(
                    screen_scorer(self.screen, asyncio.get_running_loop()),
                    **self.settings.watch.composer.model_dump(exclude_none=True),
                )
            live = LiveWatch(
                self._sketch_store,
                policy=lambda: limiter.policy,
                sanctions=self.sanctions,
                composer=composer,
                decomposition=self.settings.watch.decomposition.model_dump(exclude_none=True),
            )
            await self._refresh_sanctions()
            if in_force := len(self.sanctions):
                log.warning("watch: %d sanctions are in force", in_force)
            self._sanction_task = asyncio.ensure_future(self._keep_sanctions())
            self.sketches = BatchingRecorder(
                live,
                flush_interval_ms=self.settings.watch.flush_interval_ms,
                max_pending=self.settings.watch.max_pending,
                what="sketch",
            )
            self.sketches.start()
            watch = Watching(self.sketches)
        if self.tenants is not None:
            await self._refresh_tenants(quiet=False)
            self._tenant_task = asyncio.ensure_future(self._keep_tenants())
        self.chat = ChatHandler(
            self.settings,
            self.screen,
            self.recorder,
            self.metrics,
            audit_key=self.audit_key,
            watch=watch,
        )
        if isinstance(self.screen, Warming):
            await self.screen.ready()
        if self._reloadable:
            loop = asyncio.get_running_loop()
            try:
                loop.add_signal_handler(signal.SIGHUP, self._on_sighup)
            except (NotImplementedError, RuntimeError, ValueError):
                log.warning("SIGHUP reload unavailable here; use POST /admin/policy/reload")
            if self._bus is not None:
                self._bus.listen(lambda: _call_soon(loop, self._on_notice))
        self.ready = True
        if self._supervisor is not None:
            self._supervisor.ready()

    async def _refresh_sanctions(self, *, quiet: bool = False) -> bool:
        try:
            await asyncio.to_thread(self.sanctions.refresh, time.time())
        except StoreError as exc:  # keep what was read last; the store may come back
            if not quiet:
                log.error("%s; watch sanctions as last read", exc)
            return False
        return True

    async def _keep_sanctions(self) -> None:
        """Other processes' sanctions, and lifts, reach this one within REFRESH_S; a failing
        store is logged once until it answers again."""
        healthy = True
        while True:
            await asyncio.sleep(REFRESH_S)
            healthy = await self._refresh_sanctions(quiet=not healthy)

    async def _refresh_tenants(self, *, quiet: bool) -> bool:
        """Re-reads the tenant rows if they changed and rebuilds the screen's and the limiter's
        policy with them; False when the store failed (the rows last read stay)."""
        book = self.tenants
        assert book is not None
        async with self._tenant_lock:
            try:
                changed = await asyncio.to_thread(book.refresh)
            except StoreError as exc:
                if not quiet:
                    log.error("%s; tenants as last read", exc)
                return False
            if changed:
                await self._apply_tenants(book)
            return True

    async def _apply_tenants(self, book: TenantBook) -> None:
        overrides = book.overrides()
        if overrides != self._overrides:  # not for a status or a display name alone
            # Both keep the rows even when the policy file fails to load (edited since it was
            # loaded): the old policy stays, and the next reload that succeeds applies them.
            self._overrides = overrides
            steps = [self.limiter.use_tenants]
            if isinstance(self.screen, TenantAware):
                steps.insert(0, self.screen.use_tenants)
            failed = False
            for step in steps:
                try:
                    policy = await asyncio.to_thread(step, overrides)
                except SekimoriError as exc:
                    failed = True
                    log.error(
                        "tenant rows not applied, the previous policy stays until a reload "
                        "succeeds: %s",
                        exc,
                    )
            if failed:
                return
            for note in policy.notes:
                log.warning("%s", note)
        workers = self.settings.server.workers
        if workers > 1 and self.settings.limits.url is None and self.limiter.active:
            # Checked at start too (workers.check_limits_shared); a row can add limits later.
            log.warning(
                "tenants: the store's rows set rate limits, counted in each of %d workers "
                "without limits.url (Redis): up to %d times the figures",
                workers,
                workers,
            )
        suspended = sum(t.suspended for t in book.rows.values())
        log.info("tenants: %d rows applied (%d suspended)", len(book.rows), suspended)

    async def _keep_tenants(self) -> None:
        """Changes from any process or host reach this one within TENANTS_REFRESH_S; a failing
        store is logged once until it answers again."""
        healthy = True
        while True:
            await asyncio.sleep(TENANTS_REFRESH_S)
            healthy = await self._refresh_tenants(quiet=not healthy)

    def _on_sighup(self) -> None:
        # A worker's SIGHUP comes from its supervisor, which tells the other replicas itself.
        announce = self._supervisor is None
        self._reload_task = asyncio.ensure_future(self.reload_policy(announce=announce))

    def _on_notice(self) -> None:
        log.info("policy reload: another replica reloaded, reloading here")
        self._reload_task = asyncio.ensure_future(self.reload_policy(announce=False))

    @property
    def _reloadable(self) -> bool:
        # A policy screen, or a policy file whose rate limits apply with any screen.
        return isinstance(self.screen, Reloadable) or self.settings.policy_file is not None

    async def reload_policy(self, *, announce: bool = True) -> tuple[bool, str]:
        """Re-reads the policy off the event loop; a bad file is logged and the old one stays.
        `announce`: then tell the other workers and replicas to reload theirs."""
        try:
            if isinstance(self.screen, Reloadable):
                await asyncio.to_thread(self.screen.reload)
            source = await asyncio.to_thread(self.limiter.reload)
        except SekimoriError as exc:
            log.error("policy reload rejected, the previous policy stays: %s", exc)
            return False, str(exc)
        log.info("policy reloaded from %s", source)
        if announce:
            if self._supervisor is not None:
                self._supervisor.reload_others()
            if self._bus is not None:
                try:
                    await asyncio.to_thread(self._bus.announce)
                except StoreError as exc:  # reloaded here; the others keep theirs until told
                    log.error("%s; other replicas were not told to reload", exc)
        return True, source

    async def shutdown(self) -> None:
        self.ready = False
        if self._bus is not None:
            await asyncio.to_thread(self._bus.close)
        if self.recorder is not None:
            await self.recorder.aclose()
        for task in (self._sanction_task, self._tenant_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.sketches is not None:
            await self.sketches.aclose()
        if self.sanctions.store is not None:
            self.sanctions.store.close()
        await self.upstreams.aclose()
        await self.limiter.aclose()
        if isinstance(self.screen, Closing):
            await self.screen.aclose()
        if self.keys is not None:
            self.keys.close()
        if self.tenants is not None:
            self.tenants.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path: str = scope["path"]
            route = self._routes.get((scope["method"], path))
            model = path.startswith(_MODEL_PREFIX) and path != _MODEL_PREFIX
            if route is None and model and scope["method"] == "GET":
                route = self._model
            if route is None and is_admin_api(path):
                route = self._tenants_api
            # A known API path with another method stays a 405, not the console's page.
            if (
                route is None
                and self.console is not None
                and _is_admin(path)
                and path not in self._allowed
            ):
                route = self.console
            if route is None:
                await _send_error(send, self._no_route(scope["method"], path, model), "")
                return
            await route(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    def _no_route(self, method: str, path: str, model: bool) -> HttpError:
        """405 with `Allow` for a known path (RFC 9110 requires it), else 404."""
        allowed = ["GET"] if model else self._allowed.get(path)
        if allowed is None:
            return HttpError(404, f"no route {method} {path}", code="not_found")
        return not_allowed(method, path, allowed)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _admit_tenant(self, principal: Principal) -> None:
        """Raises 403 `tenant_suspended` when the store marks the key's tenant suspended."""
        if self.tenants is not None:
            self.tenants.check(principal.tenant)

    def _authenticate(self, headers: list[tuple[bytes, bytes]]) -> Principal:
        if self.keys is None:
            return ANONYMOUS
        for name, value in headers:
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                if scheme.lower() != "bearer" or not token.strip():
                    raise _unauthorized("Authorization must be 'Bearer <key>'")
                principal = self.keys.authenticate(token.strip())
                if principal is None:
                    raise _unauthorized("invalid or revoked API key")
                return principal
        raise _unauthorized(
            "missing API key: send 'Authorization: Bearer <key>' "
            "(create one with `sekimori keys create --tenant NAME`)"
        )

    async def _chat(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        ids = request_ids(headers)
        status = 200
        principal: Principal | None = None
        exchange: Exchange | None = None
        grant: Grant | None = None
        held = 0  # bytes of the body budget this request holds
        label = "chat"
        try:
            assert self.chat is not None, "the app must run inside its lifespan"
            principal = self._authenticate(headers)
            self._admit_tenant(principal)
            length = None
            for name, value in headers:
                if name == b"content-length":
                    length = int(value) if value.isdigit() else None
            held = self.bodies.take(min(length or self.max_body, self.max_body))
            body = await read_body(receive, length, self.max_body)
            request = await self._parse(_PARSERS[scope["path"]], body)
            label = request.shape
            exchange = Exchange(principal, request, ids, started)
            upstream = self.upstreams.for_model(request.model)
            if upstream is None:
                raise HttpError(
                    404,
                    f"model {request.model!r} is not served here (see GET /v1/models)",
                    code="model_not_found",
                    param="model",
                )
            grant = await self.limiter.admit(exchange)
            try:
                await self.chat.handle(exchange, upstream, body, receive, send)
            except StoreError as exc:
                # No answer without its audit record: a block or flag must be written first.
                log.error("request %s refused, the audit trail failed: %s", ids.gateway, exc)
                raise internal(
                    503,
                    "the audit trail is unavailable; try again later / "
                    "監査ログが利用できません。しばらくしてから再試行してください",
                    "audit_unavailable",
                ) from exc
            status = exchange.status
        except HttpError as exc:
            status = exc.status
            if principal is not None and self.chat is not None:
                # Refused after authentication: still one audit record for the request.
                if exchange is None:
                    exchange = Exchange(principal, UNPARSED, ids, started)
                exchange.status = status
                await self.chat.record(exchange)
            await _send_error(send, exc, ids.echoed)
        except ClientDisconnected:
            status = 499
        finally:
            self.bodies.give(held)
            if grant is not None and exchange is not None:
                await self.limiter.settle(grant, exchange)
            self.metrics.requests.inc(label, str(status))
            self.metrics.latency.observe(time.perf_counter() - started, label)

    async def _parse(self, parser: Callable[..., ChatRequest], body: bytes) -> ChatRequest:
        """A large body is parsed in a thread, one at a time: megabytes of JSON (30 ms for a
        6 MB body) would otherwise stall the event loop, and every tenant's requests with it."""
        if len(body) < PARSE_INLINE_BYTES:
            return parser(body, max_messages=self.max_messages)
        async with self._parsing:
            return await asyncio.to_thread(parser, body, max_messages=self.max_messages)

    async def _models(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            self._admit_tenant(self._authenticate(scope["headers"]))
        except HttpError as exc:
            await _send_error(send, exc, "")
            return
        models = await self._served_models()
        data = [_model_object(m, u) for m, u in sorted(models.items())]
        await _send_json(send, 200, {"object": "list", "data": data})

    async def _model(self, scope: Scope, receive: Receive, send: Send) -> None:
        """GET /v1/models/{id}: one model in the OpenAI shape (a model id may hold slashes)."""
        model_id = scope["path"].removeprefix(_MODEL_PREFIX)
        try:
            self._admit_tenant(self._authenticate(scope["headers"]))
            upstream = (await self._served_models()).get(model_id)
            if upstream is None:
                raise HttpError(
                    404,
                    f"model {model_id!r} is not served here (see GET /v1/models) "
                    "/ このモデルは提供されていません",
                    code="model_not_found",
                    param="model",
                )
        except HttpError as exc:
            await _send_error(send, exc, "")
            return
        await _send_json(send, 200, _model_object(model_id, upstream))

    async def _served_models(self) -> dict[str, str]:
        """Model id -> upstream name: the configured names, plus what a `*` upstream lists."""
        models = dict(self.upstreams.named_models())
        fallback = self.upstreams.fallback
        if fallback is not None:
            for model_id in await fallback.model_ids():
                models.setdefault(model_id, fallback.name)
        return models

    def _authorize_admin(self, scope: Scope) -> str:
        """Who the caller is (`admin-token` or `loopback`, for the audit); raises a 401/403
        HttpError unless the caller may use /admin/*; any header is safe."""
        secret = self.settings.server.admin_token
        if secret is None:
            # With no admin token set, only a caller on this machine may use it.
            if not is_loopback((scope.get("client") or ("", 0))[0]):
                raise HttpError(
                    403,
                    "admin access is allowed from this machine only unless server.admin_token "
                    "is set / 管理操作はこのマシンからのみ許可されています",
                    code="forbidden",
                )
            return "loopback"
        given = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, token = value.partition(b" ")
                given = token.strip() if scheme.lower() == b"bearer" else b""
        if not given:
            raise HttpError(
                401,
                "admin token required: send 'Authorization: Bearer <token>' "
                "/ 管理トークンが必要です",
                code="invalid_admin_token",
            )
        # Bytes on both sides: compare_digest refuses non-ASCII str, and a header is bytes.
        if not hmac.compare_digest(given, secret.get_secret_value().encode()):
            raise HttpError(403, "admin access denied / 管理操作は拒否されました", code="forbidden")
        return "admin-token"

    async def _tenants_api(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            who = self._authorize_admin(scope)
            answer = await self.tenants_api.answer(
                scope["method"],
                scope["path"],
                scope.get("raw_path"),
                scope["headers"],
                receive,
                who,
            )
        except HttpError as exc:
            await _send_error(send, exc, "")
            return
        except ClientDisconnected:
            return
        await _send_json(send, answer.status, answer.payload)

    # What the tenants API needs of the gateway (sekimori.gateway.admin.AdminHost).
    def tier_names(self) -> tuple[str, Collection[str]]:
        policy = self.limiter.policy
        return policy.source, policy.tiers.keys()

    async def tenants_changed(self) -> None:
        if self.tenants is not None:
            await self._refresh_tenants(quiet=False)

    async def audit_admin(self, record: AuditRecord) -> None:
        assert self.recorder is not None, "the app must run inside its lifespan"
        await self.recorder.record(record, durable=True)

    async def _reload(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            self._authorize_admin(scope)
        except HttpError as exc:
            await _send_error(send, exc, "")
            return
        if not self._reloadable:
            error = HttpError(409, "this screen has no policy to reload", code="not_reloadable")
            await _send_error(send, error, "")
            return
        ok, detail = await self.reload_policy()
        if ok:
            await _send_json(send, 200, {"status": "reloaded", "source": detail})
        else:
            await _send_error(send, HttpError(400, detail, code="invalid_policy"), "")

    async def _openapi(self, scope: Scope, receive: Receive, send: Send) -> None:
        # No key needed: the document describes the public API and holds no tenant data.
        # Built again when a reload changed the policy's tiers (the admin API's tier names).
        tiers = tuple(sorted(self.limiter.policy.tiers))
        if tiers != self._document_tiers:
            self._document = orjson.dumps(build_document(self._server, tiers))
            self._document_tiers = tiers
        document = self._document
        headers = [*_JSON, (b"content-length", str(len(document)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": document})

    async def _healthz(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _send_json(send, 200, {"status": "ok"})

    async def _readyz(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.ready:
            await _send_json(send, 200, {"status": "ready"})
        else:
            await _send_json(send, 503, {"status": "not ready"})

    async def _metrics(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/plain; version=0.0.4; charset=utf-8")],
            }
        )
        await send({"type": "http.response.body", "body": self.metrics.render()})


def _is_admin(path: str) -> bool:
    return path == "/admin" or path.startswith("/admin/")


def _model_object(model_id: str, upstream: str) -> dict[str, object]:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": f"sekimori:{upstream}"}


async def _send_json(send: Send, status: int, payload: object) -> None:
    body = orjson.dumps(payload)
    headers = [*_JSON, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_error(send: Send, error: HttpError, rid: str) -> None:
    body = error.body()
    headers = [*_JSON, (b"content-length", str(len(body)).encode()), *error.headers]
    if rid:
        headers.append((b"x-request-id", rid.encode()))
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
