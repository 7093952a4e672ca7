"""The real gateway (`sekimori serve`, default screen and policy) in front of the fake upstream, in
a scratch data directory: what `sekimori eval gateway` and the red-team lab's
`--target gateway --upstream compliant` measure, and what their tests start."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from sekimori.testing.procs import ServerProcess, create_key, start_fake_upstream, start_gateway


@dataclass(frozen=True, slots=True)
class GatewayStack:
    """A running upstream and gateway; `url` is the gateway's OpenAI base (`…/v1`)."""

    upstream: ServerProcess
    gateway: ServerProcess
    key: str
    home: Path

    @property
    def url(self) -> str:
        return self.gateway.url + "/v1"


def gateway_config(upstream_url: str, *, read_timeout: float = 300.0) -> str:
    """The YAML of a gateway with every model routed to `upstream_url`, the default screen
    (`policy`) and the default policy; the watch is off (`watch.sketches: false`): one key sends
    every item of a measurement, which the watch rightly takes for a campaign and sanctions
    (distillation: throttle; decomposition: hold for review), so figures would measure the watch,
    not the screen."""
    return (
        f"upstreams:\n  fake:\n    url: {upstream_url}\n    read_timeout: {read_timeout}\n"
        "    connect_timeout: 5\n    max_connections: 64\n"
        "watch:\n  sketches: false\n"
    )


@contextlib.contextmanager
def gateway_stack(
    *,
    answers: Path | None = None,
    extra_config: str = "",
    env: Mapping[str, str] | None = None,
    timeout: float = 300.0,
) -> Iterator[GatewayStack]:
    """Start the fake upstream (answer pool `answers` for `comply:`) and the gateway before it;
    `extra_config` is appended to the gateway's YAML (e.g. a `policy_file:` line)."""
    args = ("--answers", str(answers)) if answers else ()
    with (
        tempfile.TemporaryDirectory(prefix="sekimori-stack-") as scratch,
        start_fake_upstream(*args, env=env) as upstream,
    ):
        home = Path(scratch)
        config = home / "sekimori.yaml"
        config.write_text(gateway_config(upstream.url) + extra_config, encoding="utf-8")
        key = create_key(home, "eval")
        with start_gateway(home, "--config", str(config), env=env, timeout=timeout) as gateway:
            yield GatewayStack(upstream, gateway, key, home)
