"""Every shell and Python block of README.md and docs/ runs as written, or says why it cannot.

Each page's blocks run in order in one bash, as a reader would type them into one terminal: a
fresh HOME (so a fresh `~/.sekimori`), an empty working directory holding the checkout's
`examples/`, `sekimori` and `python` from this interpreter's environment, and the real gateway and
test upstreams the page itself starts. The run happens in a private network namespace, so the
pages' fixed ports (8787, 8000, ...) never meet another test's or a running gateway. A block
fails when a command in it fails (`set -e`) or the page's output lacks what the page promises.

README.md's blocks are run by tests/test_readme.py (the newcomer's run); the inventory here
checks that it runs each of them. A block that cannot run here (it needs a GPU, a model server,
PostgreSQL at a named host, hours of training) carries `# not run by the doc tests: REASON`, and
the inventory lists those so none is skipped silently.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs.blocks import (
    CODE,
    NOT_RUN,
    ROOT,
    DocBlock,
    all_blocks,
    blocks_of,
    doc_blocks,
    pages,
    private_network,
)
from tests.test_readme import readme_run_blocks

MARKER = "@@doc-block"
PAGE_TIMEOUT_S = 900
# What a page's run must print, beyond every command succeeding: the control that can fail
# (a block that "succeeds" by printing an error page or an empty answer does not pass).
EXPECT: dict[str, tuple[str, ...]] = {
    "docs/answers.md": ("refusal",),
    "docs/classifier.md": (
        '"id": "q1", "harmful": true',
        '"id": "q2", "harmful": false',
        "True weapons.chem [False, False]",
    ),
    "docs/encoder.md": ("(2, 384)", "how to make a bomb", "('spacing', 'leetspeak')"),
    "docs/evaluation.md": ("harmbench",),
    "docs/gateway.md": (
        "chat.completion",
        "echo: hello",
        '"openapi": "3.1',
        '"code":"tenant_suspended"',
        '"active_keys":[',
    ),
    "docs/guards.md": ("16 items, 0 without a verdict", "answers: 4/4 judged as meant"),
    "docs/local-model.md": ("smollm2-135m: sha256 OK", "chat.completion"),
    "docs/pii.md": ("カード <CARD_1>", "Your card 4111 1111 1111 1111 is ok", "<PERSON_1>"),
    "docs/policy.md": ("examples/policy.yaml: OK", "tenant acme-jp (tier enterprise): block"),
    "docs/redteam.md": ("McNemar",),
    "docs/scale.md": ("tenant acme: suspended", "tier enterprise, limits tpm 100000"),
    "docs/screening.md": ("x-sekimori-decision: block", "申し訳", "<CARD_1>", "pii card"),
    "docs/watch.md": ("sketches over 2 days",),
}
# Files a page's run must write, with what they must hold: every HTML report names Japanese fonts.
JA_FONT = "'Noto Sans CJK JP'"
FILES: dict[str, dict[str, tuple[str, ...]]] = {
    "docs/redteam.md": {
        "runs/gw-comply/report.html": (JA_FONT,),
        "runs/comply-vs-gw/compare.html": (JA_FONT,),
    },
    "docs/watch.md": {"report.html": (JA_FONT, "監視レポート")},
}


def _runnable(path: Path) -> list[DocBlock]:
    return [b for b in doc_blocks(path) if b.is_code and b.not_run is None]


def run_pages() -> list[Path]:
    """The pages whose blocks this test runs: every page but README.md with a runnable block."""
    return [p for p in pages() if p != ROOT / "README.md" and _runnable(p)]


def test_every_fenced_block_has_a_language_tag() -> None:
    untagged = [b.where for b in all_blocks() if not b.lang]
    assert untagged == [], f"tag these blocks (sh, python, text, yaml, ...): {untagged}"


def test_every_code_block_is_run_or_says_why_not() -> None:
    blocks = [b for b in all_blocks() if b.is_code]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    by_readme_test = {code.strip() for code in readme_run_blocks(readme)}
    executed, marked, unreached = [], [], []
    for block in blocks:
        reason = block.not_run
        if reason is not None:
            marked.append(f"{block.where}: {reason}")
            assert len(reason) >= 12, f"{block.where}: say why it is not run ({NOT_RUN} REASON)"
        elif block.page != "README.md" or block.code.strip() in by_readme_test:
            executed.append(block.where)
        else:
            unreached.append(block.where)
    print(f"doc blocks: {len(executed)} executed, {len(marked)} marked not run:")
    print("\n".join(marked))
    assert unreached == [], f"README blocks tests/test_readme.py does not run: {unreached}"
    # 37 code blocks, 20 run (December 2026): far fewer means the extraction broke.
    assert len(executed) >= 15 and len(blocks) >= 30, (len(executed), len(blocks))


def test_the_block_reader_sees_tags_marks_and_unclosed_fences() -> None:
    text = (
        "```sh\necho one\n```\n\n  ```python notest\n  x = 1\n  ```\n"
        "```\nuntagged\n```\n````text\n```sh\nnested\n```\n````\n"
        "```console\n$ echo two\ntwo\n```\n"
        "```sh\nvllm serve x   # not run by the doc tests: needs a GPU\n```\n```sh\nopen\n"
    )
    blocks = blocks_of(text, "probe.md")
    assert [(b.lang, b.line) for b in blocks] == [
        ("sh", 1),
        ("python", 5),
        ("", 8),
        ("text", 11),
        ("console", 16),
        ("sh", 20),
        ("sh", 23),
    ]
    assert blocks[3].code == "```sh\nnested\n```\n"
    assert blocks[4].shell == "echo two\n" and blocks[1].code == "x = 1\n"
    assert blocks[5].not_run == "needs a GPU" and blocks[0].not_run is None
    assert blocks[6].code == "open\n"
    assert {b.lang for b in blocks if b.is_code} == CODE - {"bash"}


@pytest.fixture(scope="session")
def models_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One e5-small build for all pages (it takes tens of seconds); each page's home links it."""
    return tmp_path_factory.mktemp("models")


def page_script(blocks: list[DocBlock], scratch: Path) -> str:
    """The bash that runs `blocks` in order, announcing each on stdout and stderr."""
    lines = ["set -e"]
    for number, block in enumerate(blocks):
        if block.lang == "python":
            path = scratch / f"block{number}.py"
            path.write_text(block.code, encoding="utf-8")
            command = f"python {path}"
        else:
            path = scratch / f"block{number}.sh"
            path.write_text(block.shell, encoding="utf-8")
            command = f". {path}"
        say = f"{MARKER} {number} {block.where}"
        # A block's output may not end in a newline (curl's JSON): the marker starts its own line.
        lines += [
            f"echo '{say} start'; echo '{say} start' >&2",
            command,
            f"printf '\\n{say} done\\n'",
        ]
    return "\n".join(lines) + "\n"


def failed_block(stdout: str, blocks: list[DocBlock]) -> DocBlock | None:
    started = re.findall(rf"^{MARKER} (\d+) \S+ start$", stdout, flags=re.M)
    done = re.findall(rf"^{MARKER} (\d+) \S+ done$", stdout, flags=re.M)
    if len(done) == len(blocks):
        return None
    return blocks[int(started[-1])] if started else blocks[0]


@pytest.fixture
def isolation() -> Iterator[list[str]]:
    prefix = private_network()
    if prefix is None:
        pytest.skip("no private network namespace (unshare --net) on this machine")
    yield prefix


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("page", run_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_page_runs_as_written(
    page: Path, isolation: list[str], models_cache: Path, tmp_path: Path
) -> None:
    blocks = _runnable(page)
    home, work, scratch = tmp_path / "home", tmp_path / "work", tmp_path / "blocks"
    for folder in (home, work, scratch):
        folder.mkdir()
    (home / ".sekimori").mkdir(mode=0o700)
    (home / ".sekimori" / "models").symlink_to(models_cache)
    (work / "examples").symlink_to(ROOT / "examples")
    (scratch / "page.sh").write_text(page_script(blocks, scratch), encoding="utf-8")
    # The gateway's own settings are the page's to make; where the shared data sets live is the
    # machine's (a clone outside the workplace finds them only through SEKIMORI_SHARED_DATA).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SEKIMORI_") or k == "SEKIMORI_SHARED_DATA"
    }
    bin_dir = str(Path(sys.executable).parent)
    env |= {"HOME": str(home), "LANG": "C.UTF-8", "PATH": bin_dir + os.pathsep + env["PATH"]}
    inner = f"ip link set lo up && exec bash {scratch / 'page.sh'}"
    # Files, not pipes: the servers a page leaves running hold its output open.
    with (scratch / "out").open("w") as out_file, (scratch / "err").open("w") as err_file:
        proc = subprocess.Popen(
            [*isolation, "bash", "-c", inner],
            cwd=work,
            env=env,
            stdout=out_file,
            stderr=err_file,
            start_new_session=True,
        )
        try:
            proc.wait(timeout=PAGE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass
        finally:
            # The page's servers (started with `&`) are in the page's process group.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    out = (scratch / "out").read_text(encoding="utf-8", errors="replace")
    err = (scratch / "err").read_text(encoding="utf-8", errors="replace")
    failed = failed_block(out, blocks)
    tail = f"\n--- stdout ---\n{out[-4000:]}\n--- stderr ---\n{err[-4000:]}"
    assert failed is None and proc.returncode == 0, f"{failed.where if failed else page}{tail}"
    name = str(page.relative_to(ROOT))
    missing = [text for text in EXPECT.get(name, ()) if text not in out]
    assert missing == [], f"{name} did not print {missing}{tail}"
    for file, texts in FILES.get(name, {}).items():
        written = (work / file).read_text(encoding="utf-8") if (work / file).exists() else ""
        assert all(text in written for text in texts), f"{name}: {file} lacks {texts}"
