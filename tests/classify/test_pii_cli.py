"""`sekimori pii` on a 1,000-line file, and its error paths (run as a real process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sekimori.cli", "pii", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )


def test_thousand_lines(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    lines = []
    for i in range(1000):
        text = (
            f"#{i} 氏名：山田太郎 TEL 090-1234-{i:04d} order 1234567890123456"
            if i % 2
            else f"line {i} ok"
        )
        lines.append(json.dumps({"id": i, "text": text}, ensure_ascii=False))
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    done = run_cli("--input", str(src), "--output", str(out))
    assert done.returncode == 0, done.stderr
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == list(range(1000))
    odd = rows[1]
    assert {s["type"] for s in odd["spans"]} == {"person", "phone"}
    assert odd["redacted"] == "#1 氏名：<PERSON_1> TEL <PHONE_1> order 1234567890123456"
    assert all(set(s) == {"start", "end", "type", "score"} for s in odd["spans"])
    assert rows[0]["spans"] == [] and "mapping" not in odd


def test_bad_line_is_named(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "ok"}\n{"id": 2, "text": \n', encoding="utf-8")
    done = run_cli("--input", str(src), "--output", str(tmp_path / "o.jsonl"))
    assert done.returncode == 1
    assert f"{src}:2" in done.stderr and "not a JSON object" in done.stderr
    assert "JSON オブジェクトではありません" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_lone_surrogate_is_named_not_a_crash(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "ok"}\n{"id": 2, "text": "x\\ud83d y"}\n', encoding="utf-8")
    done = run_cli("--input", str(src), "--output", str(tmp_path / "o.jsonl"))
    assert done.returncode == 1
    assert f"{src}:2: field 'text' holds a lone surrogate (\\ud83d at character 2)" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_text_field_and_missing_file(tmp_path: Path) -> None:
    done = run_cli("--input", "-", "--output", "-", stdin='{"id": 1, "body": "x"}\n')
    assert done.returncode == 1 and "<stdin>:1: missing field 'text'" in done.stderr
    missing = run_cli("--input", str(tmp_path / "nope.jsonl"), "--output", "-")
    assert (
        missing.returncode == 1
        and "nope.jsonl" in missing.stderr
        and "Traceback" not in missing.stderr
    )


def test_types_filter_and_mapping_on_stdin() -> None:
    done = run_cli(
        "--input",
        "-",
        "--output",
        "-",
        "--types",
        "card",
        "--with-mapping",
        stdin='{"id": "a", "text": "card 4111 1111 1111 1111 for 山田太郎様"}\n',
    )
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)
    assert row["redacted"] == "card <CARD_1> for 山田太郎様"
    assert row["mapping"] == {"<CARD_1>": "4111 1111 1111 1111"}
    bad = run_cli("--input", "-", "--output", "-", "--types", "cards", stdin="")
    assert bad.returncode == 1 and "unknown PII type" in bad.stderr
