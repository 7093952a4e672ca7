"""Bounded, fair screening in the real gateway: size limit, noisy neighbours, overload, leaving.

The lexicon scorer's `hang` phrase holds a classifier thread for `hang_s` seconds (a long
classifier call); tenants are real API keys. Waiting for a state reads the gateway's /metrics
(`sekimori_screen_work`), so no assertion depends on how fast this machine is.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import time
from collections.abc import Iterator

import httpx
import pytest

from sekimori.testing.procs import ServerProcess
from tests.gateway.conftest import Stack, gateway_with
from tests.gateway.test_policy_gateway import CHAT, Policed, _policed, audit_row, chat, content

pytestmark = pytest.mark.integration

LEXICON = """
phrases:
  "weaponize anthrax": {weapons.bio: 0.97}
hang: [HANG-ME]
hang_s: 4
"""
POLICY = """
version: 1
tenants:
  lenient: {oversize: block}
"""
# Two threads; items over 500 characters are long (one thread at most); two items a tenant
# may wait, four in all; 4,000 characters a request at most.
OPTIONS = "timeout_s: 2, threads: 2, long_chars: 500, tenant_queue: 2, queue: 4, max_chars: 4000"
REFUSED = 'sekimori_screen_refused_total{reason="'
UNIQUE = itertools.count()  # no two requests share a text: the verdict cache never answers


@pytest.fixture(scope="module")
def limited(upstream: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Policed]:
    home = tmp_path_factory.mktemp("limited")
    tenants = ("flood", "quiet", "other", "third", "lenient")
    with _policed(
        upstream, home, tenants, lexicon=LEXICON, policy=POLICY, options=OPTIONS
    ) as gateway:
        yield gateway


def text(words: str, size: int = 0) -> str:
    """A unique text; padded with ordinary prose to `size` characters."""
    head = f"{next(UNIQUE)} {words}"
    filler = " Please tidy up the meeting notes for the team."
    return head + (filler * (size // len(filler) + 1))[: max(0, size - len(head))]


def work(gateway: Policed, prefix: str = 'sekimori_screen_work{state="') -> dict[str, float]:
    """One labelled metric of the gateway's /metrics: label value -> value."""
    lines = httpx.get(gateway.gateway.url + "/metrics").text.splitlines()
    return {
        line[len(prefix) :].split('"', 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in lines
        if line.startswith(prefix)
    }


def wait_for(gateway: Policed, state: str, at_least: float) -> None:
    deadline = time.monotonic() + 20
    while work(gateway).get(state, 0) < at_least:
        assert time.monotonic() < deadline, f"{state} never reached {at_least}: {work(gateway)}"
        time.sleep(0.02)


def idle(gateway: Policed) -> None:
    """Waits until every classifier thread is free again (hung items end after `hang_s`)."""
    deadline = time.monotonic() + 20
    while (now := work(gateway)) and (now["running"] or now["queued"]):
        assert time.monotonic() < deadline, f"never idle: {now}"
        time.sleep(0.05)


def test_a_request_over_the_size_limit_is_refused_with_413(limited: Policed) -> None:
    sent = limited.upstream_requests()
    r = limited.post("quiet", chat(text("hello", 5000)))
    assert r.status_code == 413, r.text
    error = r.json()["error"]
    assert error["code"] == "request_too_large" and error["param"] == "messages"
    assert "4000" in error["message"] and "上限" in error["message"]
    assert limited.upstream_requests() == sent  # never forwarded unscreened
    assert work(limited, REFUSED)["too_large"] == 1


def test_a_large_body_is_read_off_the_event_loop_with_the_same_answers(limited: Policed) -> None:
    # Over 256 KiB: parsed in a thread; its errors are the same as on the loop.
    r = limited.post("quiet", chat(text("hello", 400_000)))
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"
    auth = {"Authorization": f"Bearer {limited.keys['quiet']}"}
    broken = b'{"model": "echo", "messages": "' + b"x" * 400_000
    r = httpx.post(limited.gateway.url + CHAT, content=broken, headers=auth)
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]["message"]


def test_oversize_block_answers_with_a_refusal(limited: Policed) -> None:
    sent = limited.upstream_requests()
    r = limited.post("lenient", chat(text("hello", 5000)), **{"x-request-id": "big-lenient"})
    assert "longer than this service can check" in content(r)
    assert r.headers["x-sekimori-decision"] == "block"
    assert limited.upstream_requests() == sent
    assert "oversize=block" in str(audit_row(limited.home, "big-lenient")["reasons"])


def test_a_flood_of_long_prompts_leaves_other_tenants_a_thread(limited: Policed) -> None:
    idle(limited)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        # Long prompts that each hold a classifier thread for longer than the timeout: without
        # the scheduler they took both threads, and the quiet tenant timed out behind them.
        floods = [pool.submit(limited.post, "flood", chat(text("HANG-ME", 800))) for _ in range(2)]
        wait_for(limited, "running", 1)
        question = "what is a good name for a cat?"
        answers = [limited.post("quiet", chat(text(question))) for _ in range(3)]
        statuses = [f.result().status_code for f in floods]
    for r in answers:
        assert question in content(r)
        assert r.headers["x-sekimori-decision"] == "allow", r.text
    # The flood's own requests: screened and refused for timing out, or told to retry later.
    assert set(statuses) <= {200, 429}
    idle(limited)


def test_overload_is_429_for_a_tenant_and_503_for_the_gateway(limited: Policed) -> None:
    idle(limited)
    before = work(limited, REFUSED)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:

        def send(tenant: str) -> concurrent.futures.Future[httpx.Response]:
            return pool.submit(limited.post, tenant, chat(text("HANG-ME")))

        # Both threads hang on the flood's classifiers; its second PII scan waits.
        hung = [send("flood"), send("flood")]
        wait_for(limited, "running", 2)
        wait_for(limited, "queued", 1)
        over = limited.post("flood", chat(text("HANG-ME")))  # a second wait: over its share
        other = send("other")  # its classifier and PII scan wait: three in all
        wait_for(limited, "queued", 3)
        full = limited.post("third", chat(text("hello")))  # a fifth would wait: the gateway is full
        for future in (*hung, other):
            assert future.result().status_code == 200  # screened, refused for timing out
    assert over.status_code == 429, over.text
    assert int(over.headers["retry-after"]) >= 1
    assert over.json()["error"]["type"] == "rate_limit_error"
    assert "再試行" in over.json()["error"]["message"]
    assert full.status_code == 503, full.text
    assert int(full.headers["retry-after"]) >= 1
    assert full.json()["error"]["code"] == "overloaded"
    after = work(limited, REFUSED)
    assert after["tenant"] == before.get("tenant", 0) + 1
    assert after["gateway"] == before.get("gateway", 0) + 1
    idle(limited)


def test_a_client_that_leaves_has_its_waiting_check_dropped(limited: Policed) -> None:
    idle(limited)
    before = work(limited)["dropped"]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        hung = [pool.submit(limited.post, "flood", chat(text("HANG-ME"))) for _ in range(2)]
        wait_for(limited, "running", 2)
        auth = {"Authorization": f"Bearer {limited.keys['quiet']}", "x-request-id": "leaver"}
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(
                limited.gateway.url + CHAT, json=chat(text("hello")), headers=auth, timeout=0.3
            )
        # Its classifier and PII scan were waiting: both dropped, never run.
        wait_for(limited, "dropped", before + 2)
        assert audit_row(limited.home, "leaver")["status"] == 499
        for future in hung:
            future.result()
    idle(limited)


@pytest.fixture(scope="module")
def budgeted(upstream: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A gateway that holds at most 4,096 bytes of request bodies at once."""
    home = tmp_path_factory.mktemp("budgeted")
    with gateway_with(
        upstream,
        home,
        f"""
upstreams:
  fake: {{url: {upstream.url}, read_timeout: 3}}
server: {{max_inflight_bytes: 4096}}
screen: {{name: allow}}
""",
    ) as gateway:
        yield gateway


def test_request_bodies_held_at_once_are_bounded(budgeted: Stack) -> None:
    def post(model: str, size: int) -> httpx.Response:
        body = {"model": model, "messages": [{"role": "user", "content": "x" * size}]}
        return httpx.post(budgeted.url + CHAT, json=body, headers=budgeted.auth, timeout=30)

    def upstream_requests() -> int:
        return int(httpx.get(budgeted.upstream.url + "/_fake/stats").json()["requests"])

    before = upstream_requests()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        stalled = pool.submit(post, "stall", 3000)  # held until the upstream times out
        deadline = time.monotonic() + 20
        while upstream_requests() == before:  # it has reached the upstream: its body is held
            assert time.monotonic() < deadline, "the stalled request never reached the upstream"
            time.sleep(0.02)
        r = post("echo", 2000)
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"] == "1"
        assert r.json()["error"]["code"] == "overloaded"
        assert "max_inflight_bytes" in r.json()["error"]["message"]
        assert stalled.result().status_code == 504
    assert post("echo", 2000).status_code == 200  # given back when the request ended
