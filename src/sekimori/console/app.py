"""The admin console: server-rendered pages at /admin, mounted by the gateway beside /v1.

A Starlette app of its own (routing, templates, one stylesheet), never on the /v1 hot path. It is
off (every /admin page answers 404 saying how to turn it on) unless an admin credential exists:
`server.admin_token`, or an account made with `sekimori admin add`. So it never runs without
authentication, on loopback or elsewhere. Every page needs a session; every POST its CSRF token;
every change (and every login) is a record in the audit chain, `decision` = `admin`.
"""

from __future__ import annotations

import asyncio
import csv
import hmac
import io
import os
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, astuple, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from sekimori.audit.browse import ADMIN_DECISION, AuditBrowser, Summary
from sekimori.audit.record import AUDIT_VERSION, FIELD_NAMES, AuditQuery, AuditRecord
from sekimori.console.accounts import Accounts, check_password
from sekimori.console.charts import bars, timeline
from sekimori.console.redteam import RunRequest, Runs, check
from sekimori.console.sessions import ConsoleStore, Session, same_token
from sekimori.console.text import LANGS, t
from sekimori.errors import ConfigError, SekimoriError, StoreError
from sekimori.gateway.app import Gateway
from sekimori.limits.quota import Quota
from sekimori.policy.load import parse_policy
from sekimori.redteam.datasets import SUITES
from sekimori.screen import OutputWindow, ScreenContext
from sekimori.store.backend import open_backend
from sekimori.store.sketches import AlertRow
from sekimori.store.tenants import TenantStatus
from sekimori.taxonomy import BY_ID
from sekimori.types import Message

SESSION_COOKIE = "sekimori_admin"
LANG_COOKIE = "sekimori_lang"
LOGIN_CSRF_COOKIE = "sekimori_login"
MAX_FORM_BYTES = 1024 * 1024  # a policy file is the largest form
EXPORT_MAX = 1_000_000
ALERTS_SHOWN = 200
ALERTS_READ = 50_000
DECISIONS = ("allow", "flag", "redact", "hold", "block", ADMIN_DECISION)
_STATIC = Path(__file__).parent / "static"
_HEADERS = {
    # No script at all; styles and forms from this origin only; never framed.
    "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}

Handler = Callable[[Request, Session], Awaitable[Response]]


class FormError(SekimoriError):
    """A form field a person filled in wrongly: shown on the page, never a traceback."""


def _utc(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _parse_time(value: str, field: str) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise FormError(f"{field}: {value!r} is not a time like 2026-12-06T09:30") from None


def _entities(reasons: str) -> list[tuple[str, str]]:
    """`pii emailx2, phonex1` notes -> [(type, count)]: what was found, never a value."""
    found: list[tuple[str, str]] = []
    for reason in reasons.split("; "):
        if reason.startswith("pii "):
            for item in reason[4:].split(", "):
                kind, _, n = item.rpartition("x")
                found.append((kind, n))
    return found


class Console:
    """`Console(gateway)` is the ASGI app the gateway hands /admin requests to."""

    def __init__(self, gateway: Gateway, *, redteam_dir: Path | None = None) -> None:
        self.gateway = gateway
        self.settings = gateway.settings
        self.accounts = Accounts(self.settings.home)
        self.redteam_dir = redteam_dir or self.settings.home / "redteam"
        self.runs = Runs(self.redteam_dir, self.settings.home)
        self._sessions: ConsoleStore | None = None  # opened on the first login page
        self._browser: AuditBrowser | None = None
        self.env = Environment(
            loader=PackageLoader("sekimori.console", "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(t=t, utc=_utc, decisions=DECISIONS)
        routes = [
            Route("/admin", self._page(self.overview)),
            Route("/admin/", self._page(self.overview)),
            Route("/admin/login", self.login_form, methods=["GET"]),
            Route("/admin/login", self.login, methods=["POST"]),
            Route("/admin/logout", self._page(self.logout), methods=["POST"]),
            Route("/admin/lang", self.switch_lang),
            Route("/admin/static/console.css", self.stylesheet),
            Route("/admin/keys", self._page(self.keys)),
            Route("/admin/keys/create", self._page(self.create_key), methods=["POST"]),
            Route("/admin/keys/revoke", self._page(self.revoke_key), methods=["POST"]),
            Route("/admin/tenants/suspend", self._page(self.suspend_tenant), methods=["POST"]),
            Route("/admin/tenants/resume", self._page(self.resume_tenant), methods=["POST"]),
            Route("/admin/policy", self._page(self.policy)),
            Route("/admin/policy", self._page(self.edit_policy), methods=["POST"]),
            Route("/admin/policy/try", self._page(self.try_policy), methods=["POST"]),
            Route("/admin/audit", self._page(self.audit)),
            Route("/admin/audit/export", self._page(self.export)),
            Route("/admin/audit/verify", self._page(self.verify), methods=["POST"]),
            Route("/admin/audit/{seq:int}", self._page(self.record)),
            Route("/admin/redteam", self._page(self.redteam)),
            Route("/admin/redteam/start", self._page(self.start_run), methods=["POST"]),
            Route("/admin/watch", self._page(self.watch)),
            Route("/admin/redteam/{run}/report", self._page(self.redteam_report)),
        ]
        # A store that fails (PostgreSQL down, a file unreadable) is a page saying which, 503.
        self.app = Starlette(routes=routes, exception_handlers={SekimoriError: self._failed})

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            enabled = self.enabled
        except StoreError as exc:  # admins.json unreadable: say which file, no traceback
            await HTMLResponse(str(exc), status_code=503)(scope, receive, send)
            return
        if not enabled:
            off = HTMLResponse(t("console_off", _lang_of(scope)), status_code=404)
            await off(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @property
    def enabled(self) -> bool:
        return self.settings.server.admin_token is not None or bool(self.accounts.all())

    # -- plumbing
    @property
    def sessions(self) -> ConsoleStore:
        """Sessions and the login throttle (console.db), opened when the console is first used."""
        if self._sessions is None:
            self._sessions = ConsoleStore(self.settings.home)
        return self._sessions

    def browser(self) -> AuditBrowser:
        if self._browser is None:
            self._browser = open_backend(self.settings.store.url, self.settings.home).browser()
        return self._browser

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._sessions is not None:
            self._sessions.close_store()

    def _page(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Every page but login: a live session, and on POST its CSRF token, or no entry."""

        async def endpoint(request: Request) -> Response:
            # The session file may wait on another worker's write: off the event loop.
            sid = request.cookies.get(SESSION_COOKIE)
            session = await asyncio.to_thread(self.sessions.get, sid)
            if session is None:
                if request.method == "GET":
                    target = "/admin/login?" + urlencode({"next": request.url.path})
                    return RedirectResponse(target, status_code=303, headers=_HEADERS)
                return self._plain(request, t("login_required", _lang(request)), 401)
            try:
                if request.method == "POST":
                    form = await _form(request)
                    if not same_token(form.get("csrf"), session.csrf):
                        return self._plain(request, t("csrf_failed", _lang(request)), 403)
                    request.state.form = form
                return await handler(request, session)
            except FormError as exc:
                return self._plain(request, f"{t('bad_input', _lang(request))}: {exc}", 400)

        return endpoint

    async def _failed(self, request: Request, exc: Exception) -> Response:
        return self._plain(request, str(exc), 503)

    def _plain(self, request: Request, message: str, status: int) -> Response:
        return self.render(request, None, "message.html", {"message": message}, status=status)

    def render(
        self,
        request: Request,
        session: Session | None,
        template: str,
        values: dict[str, Any],
        *,
        status: int = 200,
    ) -> Response:
        lang = _lang(request)
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":  # after a form, switch to the page it belongs to
            here = "/".join(request.url.path.split("/")[:3])
        page = self.env.get_template(template).render(
            lang=lang,
            session=session,
            path=request.url.path,
            switch="/admin/lang?" + urlencode({"to": "en" if lang == "ja" else "ja", "next": here}),
            **values,
        )
        return HTMLResponse(page, status_code=status, headers=_HEADERS)

    async def record_action(
        self, admin: str, action: str, detail: str = "", status: int = 200
    ) -> None:
        """One audit record an admin action, committed before the page answers."""
        recorder = self.gateway.recorder
        assert recorder is not None, "the console runs inside the gateway's lifespan"
        record = AuditRecord(
            ts=time.time(),
            request_id=secrets.token_hex(12),
            tenant="(console)",
            key_id=admin,
            model="",
            upstream="console",
            status=status,
            decision=ADMIN_DECISION,
            categories=action,
            reasons=detail,
            version=AUDIT_VERSION,
        )
        await recorder.record(record, durable=True)

    # -- login
    async def login_form(self, request: Request) -> Response:
        return self._login_page(request, "", 200)

    def _login_page(
        self, request: Request, error: str, status: int, target: str | None = None
    ) -> Response:
        token = secrets.token_urlsafe(24)
        response = self.render(
            request,
            None,
            "login.html",
            {
                "error": error,
                "csrf": token,
                "next": _next(target or request.query_params.get("next")),
            },
            status=status,
        )
        self._cookie(request, response, LOGIN_CSRF_COOKIE, token, path="/admin/login")
        return response

    async def login(self, request: Request) -> Response:
        lang = _lang(request)
        try:
            form = await _form(request)
        except FormError as exc:
            return self._login_page(request, str(exc), 400)
        # Login CSRF: the form's token must match the cookie set with the form.
        if not same_token(form.get("csrf"), request.cookies.get(LOGIN_CSRF_COOKIE, "")):
            return self._login_page(request, t("csrf_failed", lang), 403, form.get("next"))
        client = request.client.host if request.client else "-"
        name = form.get("account", "").strip()
        who = (f"ip:{client}", f"name:{name}")
        wait = await asyncio.to_thread(self.sessions.retry_after, *who)
        if wait:
            throttled = t("login_throttled", lang, s=wait)
            response = self._login_page(request, throttled, 429, form.get("next"))
            response.headers["retry-after"] = str(wait)
            return response
        admin = await asyncio.to_thread(self._check, name, form.get("password", ""))
        if admin is None:
            await asyncio.to_thread(self.sessions.failed, *who)
            await self.record_action(name or "token", "login", f"failed from {client}", 401)
            return self._login_page(request, t("login_failed", lang), 401, form.get("next"))
        sid, _ = await asyncio.to_thread(self.sessions.open, admin)
        await self.record_action(admin, "login", f"from {client}")
        response = RedirectResponse(_next(form.get("next")), status_code=303, headers=_HEADERS)
        self._cookie(request, response, SESSION_COOKIE, sid, path="/admin")
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/admin/login")
        return response

    def _check(self, name: str, password: str) -> str | None:
        """The admin's name when the password (or, without a name, the admin token) is right."""
        if not name:
            token = self.settings.server.admin_token
            if token is None or not password:
                return None
            ok = hmac.compare_digest(password.encode(), token.get_secret_value().encode())
            return "token" if ok else None
        account = self.accounts.get(name)
        if account is None:
            return None
        return name if check_password(account, password) else None

    def _cookie(
        self, request: Request, response: Response, name: str, value: str, *, path: str
    ) -> None:
        response.set_cookie(
            name,
            value,
            path=path,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    async def logout(self, request: Request, session: Session) -> Response:
        await asyncio.to_thread(self.sessions.close, request.cookies.get(SESSION_COOKIE))
        await self.record_action(session.admin, "logout")
        response = RedirectResponse("/admin/login", status_code=303, headers=_HEADERS)
        response.delete_cookie(SESSION_COOKIE, path="/admin")
        return response

    async def switch_lang(self, request: Request) -> Response:
        lang = request.query_params.get("to", "en")
        response = RedirectResponse(
            _next(request.query_params.get("next")), status_code=303, headers=_HEADERS
        )
        if lang in LANGS:
            self._cookie(request, response, LANG_COOKIE, lang, path="/admin")
        return response

    async def stylesheet(self, request: Request) -> Response:
        return FileResponse(_STATIC / "console.css", headers={"cache-control": "max-age=3600"})

    # -- overview
    async def overview(self, request: Request, session: Session) -> Response:
        hours = _int(request.query_params.get("hours"), 24, 1, 24 * 90)
        until = time.time()
        summary: Summary = await asyncio.to_thread(
            self.browser().summary, until - hours * 3600, until, 48
        )
        charts = {
            "decisions": bars(summary.decisions),
            "categories": bars(summary.categories),
            "tenants": bars(summary.tenants),
            "timeline": timeline(summary.buckets),
        }
        return self.render(
            request,
            session,
            "overview.html",
            {"s": summary, "hours": hours, "charts": charts, "choices": (1, 24, 24 * 7, 24 * 30)},
        )

    # -- keys
    async def keys(self, request: Request, session: Session) -> Response:
        return await self._keys_page(request, session, {})

    async def _keys_page(
        self, request: Request, session: Session, extra: dict[str, Any], status: int = 200
    ) -> Response:
        cache = self.gateway.keys
        rows: list[Any] = []
        used: dict[str, float] = {}
        if cache is not None:
            rows = sorted(
                await asyncio.to_thread(cache.all_keys), key=lambda k: (k.tenant, k.created)
            )
            used = await asyncio.to_thread(self.browser().last_use, [k.key_id for k in rows])
        policy = self.gateway.limiter.policy  # the limits the gateway enforces now
        limits = {
            k.key_id: _quota_text(policy.for_tenant(k.tenant).limits.for_key(k.key_id))
            for k in rows
        }
        book = self.gateway.tenants
        tenants = [] if book is None else await asyncio.to_thread(book.all_rows)
        values = {
            "keys": rows,
            "used": used,
            "limits": limits,
            "auth": cache is not None,
            "tenants": tenants,
            "quota_text": _quota_text,
            **extra,
        }
        return self.render(request, session, "keys.html", values, status=status)

    async def create_key(self, request: Request, session: Session) -> Response:
        cache = self.gateway.keys
        if cache is None:
            raise FormError(t("auth_off", _lang(request)))
        tenant = request.state.form.get("tenant", "").strip()
        try:
            new = await asyncio.to_thread(cache.create, tenant)
        except SekimoriError as exc:
            return await self._keys_page(request, session, {"error": str(exc)}, 400)
        await self.record_action(
            session.admin, "key.create", f"tenant={tenant} key_id={new.info.key_id}"
        )
        # Made all the same (suspension refuses requests, not keys), as `keys create` does.
        book = self.gateway.tenants
        row = None if book is None else book.rows.get(new.info.tenant)
        notice = None
        if row is not None and row.suspended:
            notice = t("key_tenant_suspended", _lang(request), tenant=new.info.tenant)
        return await self._keys_page(request, session, {"new": new, "notice": notice})

    async def revoke_key(self, request: Request, session: Session) -> Response:
        cache = self.gateway.keys
        if cache is None:
            raise FormError(t("auth_off", _lang(request)))
        key_id = request.state.form.get("key_id", "")
        try:
            info = await asyncio.to_thread(cache.revoke, key_id)
        except SekimoriError as exc:
            return await self._keys_page(request, session, {"error": str(exc)}, 400)
        await self.record_action(
            session.admin, "key.revoke", f"tenant={info.tenant} key_id={key_id}"
        )
        message = t("key_revoked", _lang(request), key=key_id)
        return await self._keys_page(request, session, {"notice": message})

    async def suspend_tenant(self, request: Request, session: Session) -> Response:
        return await self._tenant_status(request, session, TenantStatus.SUSPENDED)

    async def resume_tenant(self, request: Request, session: Session) -> Response:
        return await self._tenant_status(request, session, TenantStatus.ACTIVE)

    async def _tenant_status(
        self, request: Request, session: Session, status: TenantStatus
    ) -> Response:
        book = self.gateway.tenants
        if book is None:
            raise FormError(t("auth_off", _lang(request)))
        name = request.state.form.get("tenant", "")
        try:
            await asyncio.to_thread(book.set_status, name, status)
        except SekimoriError as exc:
            return await self._keys_page(request, session, {"error": str(exc)}, 400)
        await self.gateway.tenants_changed()  # in force here now, elsewhere within a second
        await self.record_action(session.admin, f"tenant.{status.value}", f"tenant={name}")
        done = "tenant_suspended" if status is TenantStatus.SUSPENDED else "tenant_resumed"
        message = t(done, _lang(request), tenant=name)
        return await self._keys_page(request, session, {"notice": message})

    # -- policy
    async def policy(self, request: Request, session: Session) -> Response:
        path = self.settings.policy_file
        text = path.read_text(encoding="utf-8") if path is not None and path.exists() else ""
        return self._policy_page(request, session, {"text": text})

    def _policy_page(
        self, request: Request, session: Session, values: dict[str, Any], status: int = 200
    ) -> Response:
        screen = self.gateway.screen
        running = getattr(screen, "policy", None)
        source = running.source if running is not None else "-"
        tenants = sorted(running.tenants) if running is not None else []
        values = {
            "file": self.settings.policy_file,
            "source": source,
            "tenants": tenants,
            "models": sorted(self.gateway.upstreams.named_models()),
            **values,
        }
        return self.render(request, session, "policy.html", values, status=status)

    async def edit_policy(self, request: Request, session: Session) -> Response:
        form = request.state.form
        path = self.settings.policy_file
        text = form.get("text", "").replace("\r\n", "\n")
        if path is None:
            raise FormError(t("policy_builtin", _lang(request), source="-"))
        try:
            parsed = await asyncio.to_thread(parse_policy, text, source=str(path))
        except ConfigError as exc:
            error = {"message": str(exc), "line": _line_of(exc), "key": exc.key}
            return self._policy_page(request, session, {"text": text, "error": error}, 400)
        tenants = ", ".join(sorted(parsed.tenants)) or "-"
        if form.get("action") != "apply":
            notice = t("policy_ok", _lang(request), tenants=tenants)
            return self._policy_page(request, session, {"text": text, "notice": notice})
        before = path.read_text(encoding="utf-8") if path.exists() else None
        await asyncio.to_thread(_write_atomically, path, text)
        ok, detail = await self.gateway.reload_policy()
        if not ok:  # checked above, so rare (a guard that cannot start): put the file back
            if before is not None:
                await asyncio.to_thread(_write_atomically, path, before)
            await self.record_action(session.admin, "policy.apply", f"rejected: {detail}", 400)
            error = {"message": detail, "line": None, "key": None}
            return self._policy_page(request, session, {"text": text, "error": error}, 400)
        await self.record_action(session.admin, "policy.apply", f"source={detail}")
        notice = t("policy_applied", _lang(request), source=detail)
        return self._policy_page(request, session, {"text": text, "notice": notice})

    async def try_policy(self, request: Request, session: Session) -> Response:
        form = request.state.form
        prompt = form.get("prompt", "")
        answer = form.get("answer", "")
        tenant = form.get("tenant", "").strip() or "default"
        model = form.get("model", "").strip() or "default"
        text = form.get("text", "")
        screen = self.gateway.screen
        if not prompt:
            raise FormError(t("prompt", _lang(request)) + ": empty")
        context = ScreenContext(tenant, model, request_id="console-" + secrets.token_hex(8))
        on_prompt = await screen.screen_input(context, [Message("user", prompt)])
        on_answer = None
        if answer:
            window = OutputWindow(text=answer, offset=0, final=True, whole=answer)
            on_answer = await screen.screen_output(
                ScreenContext(tenant, model, context.request_id, handle=on_prompt.handle), window
            )
        scores: list[tuple[str, float, str]] = []
        scorer = getattr(screen, "scorer", None)
        if scorer is not None:
            verdicts = await asyncio.to_thread(scorer.score_prompts, [prompt])
            for category, score in sorted(verdicts[0].categories.items(), key=lambda c: -c[1]):
                known = BY_ID.get(category)
                scores.append((category, score, known.tier.value if known else "-"))
        running = getattr(screen, "policy", None)
        tier = running.for_tenant(tenant).tier if running is not None else "-"
        await self.record_action(
            session.admin,
            "policy.try",
            f"tenant={tenant} decision={on_prompt.decision.action.value}"
            + (f" answer={on_answer.decision.action.value}" if on_answer else ""),
        )
        tried = {
            "prompt": prompt,
            "answer": answer,
            "tenant": tenant,
            "model": model,
            "tier": tier,
            "scores": scores,
            "on_prompt": on_prompt,
            "on_answer": on_answer,
        }
        if not text and self.settings.policy_file is not None:
            text = self.settings.policy_file.read_text(encoding="utf-8")
        return self._policy_page(request, session, {"text": text, "tried": tried})

    # -- audit
    def _filter(self, request: Request, limit: int) -> AuditQuery:
        q = request.query_params
        return AuditQuery(
            tenant=q.get("tenant") or None,
            key_id=q.get("key_id") or None,
            decision=q.get("decision") or None,
            category=q.get("category") or None,
            since=_parse_time(q.get("since", ""), "since"),
            until=_parse_time(q.get("until", ""), "until"),
            before=_int(q.get("before"), 0, 0, 2**62) or None,
            limit=limit,
        )

    async def audit(self, request: Request, session: Session) -> Response:
        query = self._filter(request, 50)
        page = await asyncio.to_thread(self.browser().page, query)
        chart = ""
        if query.key_id:  # one key: its last 7 days, by 4-hour columns
            until = time.time()
            series = await asyncio.to_thread(
                self.browser().key_timeline, query.key_id, until - 7 * 86400, until, 42
            )
            chart = timeline(series, height=110)
        q = {k: v for k, v in request.query_params.items() if v and k != "before"}
        return self.render(
            request,
            session,
            "audit.html",
            {
                "page": page,
                "q": q,
                "older": urlencode({**q, "before": page.next_before}) if page.next_before else "",
                "export": urlencode(q),
                "categories": sorted(BY_ID),
                "key_chart": chart,
            },
        )

    async def record(self, request: Request, session: Session) -> Response:
        seq = int(request.path_params["seq"])
        stored = await asyncio.to_thread(self.browser().record, seq)
        if stored is None:
            return self._plain(request, t("not_found", _lang(request)), 404)
        r = stored.record
        shown = [
            (name, value)
            for name, value in zip(FIELD_NAMES, astuple(r), strict=True)
            if name not in ("prompt", "answer", "reasons", "stages", "scores")
        ]
        reasons = [x for x in r.reasons.split("; ") if x and not x.startswith("pii ")]
        values = {
            "stored": stored,
            "fields": shown,
            "reasons": reasons,
            "entities": _entities(r.reasons),
            "stages": r.stage_decisions(),
            "scores": sorted(r.category_scores().items(), key=lambda c: -c[1]),
        }
        return self.render(request, session, "record.html", values)

    async def verify(self, request: Request, session: Session) -> Response:
        store = self.gateway.audit_store
        assert store is not None
        report = await asyncio.to_thread(store.verify)
        await self.record_action(
            session.admin, "audit.verify", f"records={report.records} ok={report.ok}"
        )
        return self.render(request, session, "verify.html", {"report": report})

    async def export(self, request: Request, session: Session) -> Response:
        fmt = request.query_params.get("format", "csv")
        if fmt not in ("csv", "jsonl"):
            raise FormError(f"format: {fmt!r}; use csv or jsonl")
        query = self._filter(request, 500)
        described = " ".join(f"{k}={v}" for k, v in asdict(query).items() if v is not None)
        await self.record_action(session.admin, "audit.export", f"format={fmt} {described}")
        browser = self.browser()
        columns = ("seq", *FIELD_NAMES, "prev_hash", "hash")

        async def rows() -> AsyncIterator[bytes]:
            if fmt == "csv":
                yield _csv_line(columns)
            sent, before = 0, query.before
            while sent < EXPORT_MAX:
                page = await asyncio.to_thread(browser.page, replace(query, before=before))
                for stored in page.records:
                    values = (stored.seq, *astuple(stored.record), stored.prev_hash, stored.hash)
                    if fmt == "csv":
                        yield _csv_line(values)
                    else:
                        yield orjson.dumps(dict(zip(columns, values, strict=True))) + b"\n"
                sent += len(page.records)
                if page.next_before is None:
                    return
                before = page.next_before

        media = "text/csv" if fmt == "csv" else "application/x-ndjson"
        name = f"sekimori-audit.{fmt}"
        headers = {**_HEADERS, "content-disposition": f'attachment; filename="{name}"'}
        return StreamingResponse(rows(), media_type=media, headers=headers)

    # -- watch
    def _alerts(self) -> list[AlertRow]:
        """The newest alerts (the store reads forward from a seq: at most `ALERTS_READ`)."""
        store = open_backend(self.settings.store.url, self.settings.home).sketches()
        try:
            kept: list[AlertRow] = []
            after = 0
            while after < ALERTS_READ:
                batch = store.alerts(after_seq=after, limit=1000)
                if not batch:
                    break
                kept = (kept + batch)[-ALERTS_SHOWN:]
                after = batch[-1].seq
        finally:
            store.close()
        return kept[::-1]

    async def watch(self, request: Request, session: Session) -> Response:
        alerts = await asyncio.to_thread(self._alerts)
        return self.render(request, session, "watch.html", {"alerts": alerts})

    # -- red-team
    async def redteam(self, request: Request, session: Session) -> Response:
        return await self._redteam_page(request, session, {})

    async def _redteam_page(
        self, request: Request, session: Session, extra: dict[str, Any], status: int = 200
    ) -> Response:
        runs = await asyncio.to_thread(self.runs.list)
        values = {
            "runs": runs,
            "where": self.redteam_dir,
            "suites": SUITES.names(),
            "running": any(r.state == "running" for r in runs),
            **extra,
        }
        return self.render(request, session, "redteam.html", values, status=status)

    async def start_run(self, request: Request, session: Session) -> Response:
        form = request.state.form
        sample = form.get("sample", "").strip()
        try:
            run = check(
                RunRequest(
                    name=form.get("name", "").strip(),
                    target=form.get("target", "").strip(),
                    suite=form.get("suite", ""),
                    mutators=form.get("mutators", "").strip() or "direct",
                    concurrency=_int(form.get("concurrency"), 4, 0, 1000),
                    sample=_int(sample, 0, 0, 10**6) if sample else None,
                    agreement=_int(form.get("agreement"), 100, 0, 10_000),
                ),
                SUITES.names(),
            )
            await asyncio.to_thread(self.runs.start, run)
        except SekimoriError as exc:
            return await self._redteam_page(request, session, {"error": str(exc)}, 400)
        await self.record_action(
            session.admin,
            "redteam.start",
            f"name={run.name} target={run.target} suite={run.suite} mutators={run.mutators} "
            f"concurrency={run.concurrency} sample={run.sample}",
        )
        return RedirectResponse("/admin/redteam", status_code=303, headers=_HEADERS)

    async def redteam_report(self, request: Request, session: Session) -> Response:
        name = str(request.path_params["run"])
        report = self.redteam_dir / name / "report.html"
        if "/" in name or name.startswith(".") or not report.is_file():
            return self._plain(request, t("not_found", _lang(request)), 404)
        # The report is self-contained with inline script and style (redteam/report.py): its
        # own policy allows those and nothing from anywhere.
        csp = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        headers = {**_HEADERS, "content-security-policy": csp + "img-src data:"}
        return HTMLResponse(report.read_text(encoding="utf-8"), headers=headers)


def _quota_text(quota: Quota) -> str:
    """`rpm 60 · tpm 100000`: the limits set, or "" when none is."""
    return " · ".join(
        f"{f.name.replace('_', ' ')} {getattr(quota, f.name):,}"
        for f in fields(quota)
        if getattr(quota, f.name) is not None
    )


def _csv_line(values: Any) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue().encode()


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)  # a reader sees the old file or the new one, whole


def _line_of(exc: ConfigError) -> int | None:
    where = exc.file or ""
    _, _, line = where.rpartition(":")
    return int(line) if line.isdigit() else None


def _int(value: str | None, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit():
        raise FormError(f"{value!r} is not a whole number")
    return max(low, min(high, int(value)))


def _next(value: str | None) -> str:
    """Only a path of this console: never an open redirect elsewhere."""
    if value and value.startswith("/admin") and "//" not in value and "\\" not in value:
        return quote(value, safe="/?=&%-_.~")
    return "/admin"


def _lang(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "")
    return lang if lang in LANGS else "en"


def _lang_of(scope: Any) -> str:
    for name, value in scope.get("headers", []):
        if name == b"cookie" and f"{LANG_COOKIE}=ja".encode() in value:
            return "ja"
    return "en"


async def _form(request: Request) -> dict[str, str]:
    """An url-encoded form (the only kind these pages send), bounded in size."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormError(f"the form is larger than {MAX_FORM_BYTES} bytes")
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[-1] for k, v in parsed.items()}
