"""Gateway benchmark: fake upstream direct vs. through `sekimori serve` (and optionally LiteLLM).

Runs everything on loopback with bounded durations and writes bench/gateway/RESULTS.md:
req/s and p50/p99 latency at concurrency 1, 8 and 64 (non-streaming, screening off, auth and
audit on), and streaming time to first byte. Needs `wrk` (Debian: `apt-get install -y wrk`).

    python bench/gateway/run.py                  # about 40 s
    python bench/gateway/run.py --litellm        # adds LiteLLM's proxy, installed into
                                                 # /tmp/litellm-venv on first use
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from sekimori.testing.machine import cpu_model
from sekimori.testing.procs import ServerProcess, create_key, start_fake_upstream, start_gateway

HERE = Path(__file__).resolve().parent
BODY = '{"model":"echo","messages":[{"role":"user","content":"hello there, how are you?"}]}'
CONCURRENCY = (1, 8, 64)
LITELLM_VENV = Path("/tmp/litellm-venv")
LITELLM_KEY = "sk-" + secrets.token_hex(32)


@dataclass(frozen=True)
class Point:
    target: str
    concurrency: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _ms(value: str) -> float:
    found = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", value)
    if found is None:
        raise ValueError(f"cannot read wrk latency {value!r}")
    number, unit = found.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk(
    url: str, concurrency: int, seconds: float, headers: dict[str, str]
) -> tuple[float, float, float, int]:
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
    lines = ['wrk.method = "POST"', f"wrk.body = '{BODY}'"]
    lines += [
        f'wrk.headers["{k}"] = "{v}"'
        for k, v in {"Content-Type": "application/json", **headers}.items()
    ]
    script.write("\n".join(lines) + "\n")
    script.close()
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{concurrency}",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            "-s",
            script.name,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    p50_line = re.search(r"^\s+50%\s+(\S+)\s*$", out, re.MULTILINE)
    p99_line = re.search(r"^\s+99%\s+(\S+)\s*$", out, re.MULTILINE)
    # No answer at all within the run leaves wrk without a distribution.
    if p50_line is None or p99_line is None:
        print(f"wrk printed no full latency distribution:\n{out}", file=sys.stderr)
    p50 = _ms(p50_line.group(1)) if p50_line else float("nan")
    p99 = _ms(p99_line.group(1)) if p99_line else float("nan")
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(bad.group(1)) if bad else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return rps, p50, p99, errors


def ttfb(host: str, port: int, path: str, headers: dict[str, str], n: int) -> list[float]:
    """Milliseconds to the first SSE `data:` bytes of streamed answers, on one keep-alive socket."""
    body = BODY.replace('"model":"echo"', '"model":"text:16","stream":true').encode()
    head = f"POST {path} HTTP/1.1\r\nhost: {host}:{port}\r\ncontent-type: application/json\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (head + f"content-length: {len(body)}\r\n\r\n").encode() + body
    times = []
    with socket.create_connection((host, port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(n):
            start = time.perf_counter()
            sock.sendall(request)
            seen = b""
            first = None
            while True:
                data = sock.recv(65536)
                if not data:
                    raise RuntimeError("connection closed mid-stream")
                seen += data
                if first is None and b"data:" in seen:
                    first = time.perf_counter() - start
                if seen.endswith(b"0\r\n\r\n"):
                    break
            times.append(first * 1000 if first is not None else float("nan"))
    return times


def run_points(name: str, url: str, seconds: float, headers: dict[str, str]) -> list[Point]:
    points = []
    for c in CONCURRENCY:
        wrk(url, c, 1, headers)  # warm connections and caches
        rps, p50, p99, errors = wrk(url, c, seconds, headers)
        points.append(Point(name, c, rps, p50, p99, errors))
        print(
            f"{name:<10} c={c:<3} {rps:>9.0f} req/s  p50 {p50:7.3f} ms  p99 {p99:7.3f} ms  "
            f"errors {errors}"
        )
    return points


@dataclass
class Litellm:
    proc: subprocess.Popen[bytes]
    port: int


def start_litellm(
    upstream: ServerProcess, workdir: Path, models: dict[str, str] | None = None
) -> Litellm | None:
    """LiteLLM's proxy before the fake upstream: model `echo`, and each of `models` (a name the
    client sends -> the fake upstream's model, e.g. `say:...`)."""
    binary = LITELLM_VENV / "bin" / "litellm"
    if not binary.exists():
        print("installing litellm[proxy] into", LITELLM_VENV)
        subprocess.run([sys.executable, "-m", "venv", str(LITELLM_VENV)], check=True)
        pip = subprocess.run(
            [str(LITELLM_VENV / "bin" / "pip"), "install", "-q", "litellm[proxy]"], check=False
        )
        if pip.returncode != 0:
            return None
    config = workdir / "litellm.yaml"
    entries = {"echo": "echo", **(models or {})}
    config.write_text(
        "model_list:\n"
        + "".join(
            f"  - model_name: {json.dumps(name)}\n    litellm_params:\n"
            f"      model: {json.dumps('openai/' + target)}\n"
            f"      api_base: {upstream.url}/v1\n      api_key: fake\n"
            for name, target in entries.items()
        )
        # A master key, as LiteLLM now requires one to start; sekimori is measured with auth on too.
        + f"general_settings:\n  master_key: {LITELLM_KEY}\n",
        encoding="utf-8",
    )
    port = _free_port()
    log = open(workdir / "litellm.log", "wb")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen(
        [
            str(binary),
            "--config",
            str(config),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--num_workers",
            "1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "LITELLM_LOG": "ERROR"},
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if (
                httpx.get(f"http://127.0.0.1:{port}/health/liveliness", timeout=1).status_code
                == 200
            ):
                return Litellm(proc, port)
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    proc.kill()
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine() -> str:
    cpu = cpu_model()
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; load average at start "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (the machine was shared with other jobs)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5, help="duration of each load point")
    parser.add_argument("--ttfb-requests", type=int, default=300)
    parser.add_argument("--litellm", action="store_true", help="also measure LiteLLM's proxy")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get update && apt-get install -y wrk", file=sys.stderr)
        return 2
    about = machine()
    print(about)
    with tempfile.TemporaryDirectory() as tmp, start_fake_upstream() as upstream:
        home = Path(tmp)
        config = home / "bench.yaml"
        config.write_text(
            f"upstreams:\n  fake:\n    url: {upstream.url}\nscreen: {{name: allow}}\n",
            encoding="utf-8",
        )
        key = create_key(home, "bench")
        auth = {"Authorization": f"Bearer {key}"}
        points = run_points("direct", upstream.url + "/v1/chat/completions", args.seconds, {})
        with start_gateway(home, "--config", str(config)) as gateway:
            points += run_points(
                "sekimori", gateway.url + "/v1/chat/completions", args.seconds, auth
            )
            ttfb_direct = ttfb(
                "127.0.0.1", upstream.port, "/v1/chat/completions", {}, args.ttfb_requests
            )
            ttfb_gateway = ttfb(
                "127.0.0.1", gateway.port, "/v1/chat/completions", auth, args.ttfb_requests
            )
        litellm_note = "not run (pass --litellm)"
        if args.litellm:
            litellm = start_litellm(upstream, home)
            if litellm is None:
                log = home / "litellm.log"
                said = log.read_text(errors="replace")[-600:] if log.exists() else ""
                litellm_note = f"could not be installed or started: {said!r}"
            else:
                try:
                    url = f"http://127.0.0.1:{litellm.port}/v1/chat/completions"
                    litellm_auth = {"Authorization": f"Bearer {LITELLM_KEY}"}
                    points += run_points("litellm", url, args.seconds, litellm_auth)
                    version = subprocess.run(
                        [str(LITELLM_VENV / "bin" / "pip"), "show", "litellm"],
                        capture_output=True,
                        text=True,
                    ).stdout
                    found = re.search(r"Version: (\S+)", version)
                    litellm_note = (
                        f"LiteLLM {found.group(1) if found else '?'}, one worker, no database"
                    )
                finally:
                    litellm.proc.terminate()
                    litellm.proc.wait(30)
    write_results(args.out, about, points, ttfb_direct, ttfb_gateway, litellm_note, args.seconds)
    print(f"wrote {args.out}")
    return 0


def write_results(
    out: Path,
    about: str,
    points: list[Point],
    ttfb_direct: list[float],
    ttfb_gateway: list[float],
    litellm_note: str,
    seconds: float,
) -> None:
    by = {(p.target, p.concurrency): p for p in points}
    flag = " --litellm" if "LiteLLM " in litellm_note else ""
    lines = [
        "# Gateway benchmark results",
        "",
        f"Machine: {about}.",
        f"Run: `python bench/gateway/run.py{flag}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; wrk, one thread, "
        f"{seconds:g} s a point "
        "after a 1 s warm-up; fake upstream answering at once; gateway with auth on, audit on "
        "(SQLite), screening `allow`, one worker.",
        f"LiteLLM: {litellm_note}.",
        "",
        "| target | concurrency | req/s | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for p in points:
        lines.append(
            f"| {p.target} | {p.concurrency} | {p.rps:.0f} | {p.p50_ms:.3f} | {p.p99_ms:.3f} "
            f"| {p.errors} |"
        )
    d_ttfb, g_ttfb = statistics.median(ttfb_direct), statistics.median(ttfb_gateway)
    lines += [
        "",
        "Errors are wrk's socket errors and timeouts: a request slower than 2 s counts as one.",
        "",
        f"Streaming time to first byte (median of {len(ttfb_direct)} sequential requests, one "
        f"keep-alive connection): direct {d_ttfb:.3f} ms, through sekimori {g_ttfb:.3f} ms.",
        "",
        "## Targets",
        "",
    ]
    added = by[("sekimori", 1)].p50_ms - by[("direct", 1)].p50_ms
    lines.append(
        f"- Added latency, p50 at concurrency 1: {added:.3f} ms (target ≤ 1 ms): "
        f"{'met' if added <= 1 else 'missed'}."
    )
    if ("litellm", 64) in by:
        ratio = by[("sekimori", 64)].rps / by[("litellm", 64)].rps
        best = max((p for p in points if p.target == "litellm"), key=lambda p: p.rps)
        lines.append(
            f"- Throughput at concurrency 64: {by[('sekimori', 64)].rps:.0f} vs LiteLLM "
            f"{by[('litellm', 64)].rps:.0f} req/s = {ratio:.1f}× (target ≥ 20×): "
            f"{'met' if ratio >= 20 else 'missed'}. Against LiteLLM's best point in this run "
            f"({best.rps:.0f} req/s at concurrency {best.concurrency}) it is "
            f"{by[('sekimori', 64)].rps / best.rps:.1f}×."
        )
    else:
        lines.append(
            f"- Throughput at concurrency 64: {by[('sekimori', 64)].rps:.0f} req/s; "
            f"LiteLLM {litellm_note} "
            "(the issue's reference: about 42 req/s a worker on this kind of machine)."
        )
    extra = g_ttfb - d_ttfb
    lines.append(
        f"- Streaming time to first byte: +{extra:.3f} ms over direct (target ≤ 2 ms): "
        f"{'met' if extra <= 2 else 'missed'}."
    )
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
