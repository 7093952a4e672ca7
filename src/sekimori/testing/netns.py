"""A network namespace joined to this one by two veth pairs: `service` (clients reach what runs
inside) and `cut` (what runs inside reaches a database here), and the second can be cut: a real
network partition for the fault tests (root only; `ip` from iproute2).

Cutting takes the host end of the `cut` link down: packets between the two sides go nowhere, so
a TCP connection across it hangs as in a partition (nothing refuses, nothing answers) until a
timeout on one side gives up. Healing brings the link up again.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sekimori.testing.procs import ProcessStartError


def _ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ProcessStartError(f"ip {' '.join(args)}: {result.stderr.strip()}")


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    inside_ip: str  # the namespace's address on the service link (clients connect here)
    host_link: str  # this side's end of the link that `cut` cuts
    host_ip: str  # this side's address on that link (serve the database here)

    def command(self, argv: Sequence[str]) -> list[str]:
        """`argv` run inside the namespace."""
        return ["ip", "netns", "exec", self.name, *argv]

    def cut(self) -> None:
        _ip("link", "set", self.host_link, "down")

    def heal(self) -> None:
        _ip("link", "set", self.host_link, "up")


def _link(ns: str, host_end: str, inside_end: str, host_ip: str, inside_ip: str) -> None:
    _ip("link", "add", host_end, "type", "veth", "peer", "name", inside_end)
    _ip("link", "set", inside_end, "netns", ns)
    _ip("addr", "add", f"{host_ip}/30", "dev", host_end)
    _ip("link", "set", host_end, "up")
    _ip("netns", "exec", ns, "ip", "addr", "add", f"{inside_ip}/30", "dev", inside_end)
    _ip("netns", "exec", ns, "ip", "link", "set", inside_end, "up")


@contextlib.contextmanager
def network_namespace() -> Iterator[Namespace]:
    """A new namespace on two /30s of 10.213.0.0/16 and 10.214.0.0/16; raises ProcessStartError
    where namespaces cannot be made (not root, no iproute2, a container without the privilege)."""
    if os.geteuid() != 0:
        raise ProcessStartError("network namespaces need root")
    tag = secrets.token_hex(3)
    base = int(tag, 16) % 16384 * 4  # one of 16384 /30 blocks
    a, b = base // 256, base % 256

    def ip(net: int, host: int) -> str:
        return f"10.{net}.{a}.{b + host}"

    ns = Namespace(f"skm-{tag}", ip(213, 2), f"skc{tag}", ip(214, 1))
    try:
        _ip("netns", "add", ns.name)
    except (ProcessStartError, OSError) as exc:
        raise ProcessStartError(f"cannot make a network namespace: {exc}") from None
    try:
        _link(ns.name, f"sks{tag}", f"sksi{tag}", ip(213, 1), ns.inside_ip)
        _link(ns.name, ns.host_link, f"skci{tag}", ns.host_ip, ip(214, 2))
        _ip("netns", "exec", ns.name, "ip", "link", "set", "lo", "up")
        yield ns
    finally:
        for link in (f"sks{tag}", ns.host_link):
            with contextlib.suppress(ProcessStartError):
                _ip("link", "del", link)
        with contextlib.suppress(ProcessStartError):
            _ip("netns", "del", ns.name)
