"""Speed and correctness of the embedded local model; writes bench/localmodel/RESULTS.md.

    PYTHONPATH=src python bench/localmodel/bench.py [--models smollm2-135m qwen2.5-coder-0.5b]

Each model and BLAS thread count runs in its own child process (BLAS reads its thread count when
numpy loads); models that are not installed are reported as such. Figures are medians. When
llama-cpp-python is importable (it is not a dependency), the tokenizer and logits are also
compared with llama.cpp reading the same GGUF file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sekimori.testing.machine import cpu_model

HERE = Path(__file__).resolve().parent
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
PARAGRAPH = (
    "The keeper of a mountain checkpoint lets travellers through and stops what must not pass. "
    "He reads their papers, asks where they are going, and writes every crossing in a ledger. "
)
CHECK_TEXTS = [
    "What is the capital of France?",
    "日本の首都はどこですか？東京です。",
    "個人情報（マイナンバー）を含むテキスト、半角ｶﾀｶﾅも。",
    "émoji 🎉 ñ — “quotes” and 1234567 digits",
    "  spaces\n\n\ttabs  and   'll 've I'm",
    "def f(x):\n    return x**2  # comment\n",
]
PROMPTS = [
    "What is the capital of France?",
    "Name three primary colours.",
    "How do vaccines train the immune system? Answer in one sentence.",
    "日本の首都はどこですか？",
]


def median_seconds(run: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def child(model_name: str, speed_only: bool) -> dict[str, Any]:
    from sekimori.errors import ModelError
    from sekimori.types import Message
    from sekimori.upstream.local.engine import Transformer
    from sekimori.upstream.local.generation import Limits, LocalChatModel
    from sekimori.upstream.local.models import LOCAL_MODELS
    from sekimori.upstream.local.protocol import Finished, GenerationRequest
    from sekimori.upstream.local.tokenizer import Tokenizer
    from sekimori.upstream.local.weights import GGUFFile, verify

    spec = LOCAL_MODELS.get(model_name)
    try:
        path = spec.weights.resolve()
    except ModelError as exc:
        return {"unavailable": str(exc)}
    t0 = time.perf_counter()
    verify(path, spec.weights.sha256)
    t1 = time.perf_counter()
    gguf = GGUFFile(path)
    tokenizer = Tokenizer(gguf.fields)
    t2 = time.perf_counter()
    transformer = Transformer(gguf)
    t3 = time.perf_counter()
    model = LocalChatModel(spec.name, transformer, tokenizer, spec.template, Limits(4096, 256))
    result: dict[str, Any] = {
        "load": {"sha256_s": t1 - t0, "metadata_s": t2 - t1, "dequantise_s": t3 - t2},
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    text_ids = tokenizer.encode(PARAGRAPH * 40)
    prefill = {}
    for n in (32, 128, 512):
        ids = text_ids[:n]

        def run_prefill(ids: list[int] = ids) -> None:
            transformer.forward(ids, transformer.new_cache(len(ids)))

        prefill[n] = n / median_seconds(run_prefill, 3)
    result["prefill_tok_s"] = prefill
    decode = {}
    for context in (128, 1024):
        cache = transformer.new_cache(context + 64)
        transformer.forward(text_ids[:context], cache)
        steps = []
        for token in text_ids[context : context + 48]:
            start = time.perf_counter()
            transformer.forward([token], cache)
            steps.append(time.perf_counter() - start)
        decode[context] = 1.0 / statistics.median(steps)
    result["decode_tok_s"] = decode
    if speed_only:
        return result
    answers = []
    for prompt in PROMPTS:
        request = GenerationRequest((Message("user", prompt),), max_tokens=48, temperature=0.0)
        start = time.perf_counter()
        first = None
        text = []
        end = None
        for event in model.generate(request):
            if isinstance(event, Finished):
                end = event
            else:
                first = first or time.perf_counter() - start
                text.append(event.text)
        total = time.perf_counter() - start
        assert end is not None
        answers.append(
            {
                "prompt": prompt,
                "answer": "".join(text),
                "prompt_tokens": end.prompt_tokens,
                "completion_tokens": end.completion_tokens,
                "first_token_s": first,
                "total_s": total,
            }
        )
    result["answers"] = answers
    result["reference"] = llama_cpp_reference(str(path), model, tokenizer)
    return result


def llama_cpp_reference(path: str, model: Any, tokenizer: Any) -> dict[str, Any] | None:
    try:
        import llama_cpp
    except ImportError:
        return None
    import numpy as np

    from sekimori.types import Message
    from sekimori.upstream.local.protocol import GenerationRequest

    llm = llama_cpp.Llama(model_path=path, n_ctx=512, logits_all=True, verbose=False, n_threads=1)
    same_ids = sum(
        tokenizer.encode(t) == llm.tokenize(t.encode(), add_bos=False, special=False)
        for t in CHECK_TEXTS
    )
    rows = []
    for prompt in PROMPTS:
        messages = (Message("user", prompt),)
        ids = model.encode_prompt(GenerationRequest(messages))
        text = "".join(piece.text for piece in model.template.render(messages))
        reference_ids = llm.tokenize(text.encode(), add_bos=False, special=True)
        llm.reset()
        llm.eval(ids)
        theirs = np.array(llm.scores[len(ids) - 1], dtype=np.float64)
        ours = model.transformer.forward(ids, model.transformer.new_cache(len(ids))).astype(
            np.float64
        )
        greedy = []
        for _ in range(24):
            token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
            if token in tokenizer.special.end_of_turn:
                break
            greedy.append(token)
            llm.eval([token])
        rows.append(
            {
                "prompt": prompt,
                "prompt_ids_equal": ids == reference_ids,
                "top1_equal": int(theirs.argmax()) == int(ours.argmax()),
                "top5_overlap": len(set(np.argsort(-theirs)[:5]) & set(np.argsort(-ours)[:5])),
                "max_abs_diff": float(np.abs(theirs - ours).max()),
                "correlation": float(np.corrcoef(theirs, ours)[0, 1]),
                "llama_cpp_greedy": tokenizer.decode(greedy),
            }
        )
    return {
        "version": llama_cpp.__version__,
        "tokenizer_equal": f"{same_ids}/{len(CHECK_TEXTS)}",
        "rows": rows,
    }


def machine() -> dict[str, str]:
    cpu = cpu_model()
    import numpy

    return {
        "cpu": f"{cpu}, {os.cpu_count()} logical CPUs",
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def render_model(model: str, runs: dict[int, dict[str, Any]]) -> list[str]:
    lines = [
        f"## `{model}`",
        "",
    ]
    if "unavailable" in next(iter(runs.values())):
        return [*lines, f"Not measured: {next(iter(runs.values()))['unavailable']}"]
    lines += [
        "Speed (medians; prefill = the prompt as one batch, decode = one new token):",
        "",
        "| BLAS threads | prefill 32 tok | prefill 128 | prefill 512 | decode at 128 ctx"
        " | decode at 1024 ctx |",
        "|---|---|---|---|---|---|",
    ]
    for threads, r in runs.items():
        p, d = r["prefill_tok_s"], r["decode_tok_s"]
        lines.append(
            f"| {threads} | {p['32']:.0f} tok/s | {p['128']:.0f} tok/s | {p['512']:.0f} tok/s"
            f" | {d['128']:.1f} tok/s | {d['1024']:.1f} tok/s |"
        )
    lines += [
        "",
        "Load (once per server start; `/healthz` answers after it):",
        "",
        "| BLAS threads | sha256 check | metadata + tokenizer | dequantise + fuse | peak RSS |",
        "|---|---|---|---|---|",
    ]
    for threads, r in runs.items():
        load = r["load"]
        lines.append(
            f"| {threads} | {load['sha256_s']:.2f} s | {load['metadata_s']:.2f} s"
            f" | {load['dequantise_s']:.2f} s | {r['rss_mib']:.0f} MiB |"
        )
    threads, first = next(iter(runs.items()))
    lines += [
        "",
        f"Greedy answers (temperature 0, at most 48 tokens, BLAS threads {threads}; time to the"
        " first token includes the prompt pass):",
        "",
        "| prompt | answer | prompt / answer tokens | first token | total |",
        "|---|---|---|---|---|",
    ]
    for a in first["answers"]:
        answer = a["answer"].replace("\n", " ").replace("|", "\\|")
        lines.append(
            f"| {a['prompt']} | {answer} | {a['prompt_tokens']} / {a['completion_tokens']}"
            f" | {a['first_token_s']:.2f} s | {a['total_s']:.2f} s |"
        )
    reference = first["reference"]
    lines += ["", "Cross-check against llama.cpp:", ""]
    if reference is None:
        lines.append("llama-cpp-python was not importable; no cross-check in this run.")
        return lines
    lines += [
        f"llama-cpp-python {reference['version']} reading the same file. Tokenizer: identical"
        f" ids for {reference['tokenizer_equal']} test texts (English, Japanese, emoji, code)."
        " Logits at the last prompt position (llama.cpp quantises activations to 8 bits inside"
        " its quantised products; this engine multiplies in float32, so small differences are"
        " expected, and a near-tie can flip the top token):",
        "",
        "| prompt | same prompt ids | same top-1 | top-5 overlap | max abs diff | correlation"
        " | llama.cpp greedy answer |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in reference["rows"]:
        greedy = row["llama_cpp_greedy"].replace("\n", " ").replace("|", "\\|")
        lines.append(
            f"| {row['prompt']} | {row['prompt_ids_equal']} | {row['top1_equal']}"
            f" | {row['top5_overlap']}/5 | {row['max_abs_diff']:.2f} | {row['correlation']:.4f}"
            f" | {greedy} |"
        )
    return lines


def render(results: dict[str, dict[int, dict[str, Any]]], info: dict[str, str], end: str) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    lines = [
        "# Embedded local model: speed and correctness",
        "",
        "Float32 weights dequantised from the packaged GGUF at load; numpy forward pass, one"
        " process, one generation at a time.",
        f"Written by `bench/localmodel/bench.py` on {when} UTC.",
        "",
        f"Machine: {info['cpu']}; Python {info['python']}, numpy {info['numpy']} (OpenBLAS).",
        f"Load average at start {info['load_average']}, at end {end}: the machine is shared with",
        "other jobs, so these are figures under contention (each run is `nice`d), not on an idle",
        "machine. More BLAS threads than free cores make OpenBLAS spin: see the 2-thread rows.",
        "",
    ]
    for model, runs in results.items():
        lines += [*render_model(model, runs), ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--threads", type=int, default=1, help="BLAS threads (the server's default)"
    )
    parser.add_argument(
        "--compare-threads",
        type=int,
        default=2,
        help="also measure the first model's speed with this many BLAS threads (0: skip)",
    )
    parser.add_argument("--models", nargs="+", default=["smollm2-135m", "qwen2.5-coder-0.5b"])
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--speed-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.speed_only)))
        return 0
    info = machine()
    results: dict[str, dict[int, dict[str, Any]]] = {}
    for position, model in enumerate(args.models):
        runs: dict[int, dict[str, Any]] = {}
        counts = [args.threads]
        if position == 0 and args.compare_threads and args.compare_threads != args.threads:
            counts.append(args.compare_threads)
        for index, threads in enumerate(counts):
            env = {**os.environ, **{v: str(threads) for v in THREAD_VARIABLES}}
            # Answers and the llama.cpp cross-check once per model; speed for every thread count.
            extra = ["--speed-only"] if index else []
            done = subprocess.run(
                ["nice", "-n", "10", sys.executable, __file__, "--child", model, *extra],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            runs[threads] = json.loads(done.stdout.strip().splitlines()[-1])
            if "unavailable" in runs[threads]:
                break
        results[model] = runs
    end_load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    args.out.write_text(render(results, info, end_load), encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
