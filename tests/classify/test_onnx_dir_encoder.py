"""The onnx-dir plug-in encoder on a tiny real ONNX graph and tokenizer written here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, pre_tokenizers

import sekimori.classify.encoders  # noqa: F401  (registers the built-ins)
from sekimori.classify.encoder import ENCODERS
from sekimori.errors import ModelError

WORDS = ["[UNK]", "hello", "world", "安全", "です"]
TABLE = np.random.default_rng(3).normal(size=(len(WORDS), 8)).astype(np.float32)


def _write_model_dir(folder: Path) -> None:
    """Token states = embedding rows times the mask: a (batch, seq, 8) output like BERT's."""
    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["rows"]),
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["maskf", "last"], ["mask3"]),
        helper.make_node("Mul", ["rows", "mask3"], ["last_hidden_state"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["b", "t"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["b", "t"]),
        ],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["b", "t", 8])],
        [
            numpy_helper.from_array(TABLE, "table"),
            numpy_helper.from_array(np.array([-1], np.int64), "last"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, folder / "model.onnx")
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.save(str(folder / "tokenizer.json"))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def test_mean_pooling_and_windows(tmp_path: Path) -> None:
    _write_model_dir(tmp_path)
    enc = ENCODERS.get("onnx-dir")(path=tmp_path, max_length=2)
    assert enc.dim == 8
    out = enc.encode(["hello world", "hello 安全 です world world"])
    assert out.shape == (2, 8)
    np.testing.assert_allclose(out[0], _unit(TABLE[[1, 2]].mean(0)), rtol=1e-5)
    # three windows of at most two tokens, weighted by length = the mean over all five tokens
    np.testing.assert_allclose(out[1], _unit(TABLE[[1, 3, 4, 2, 2]].mean(0)), rtol=1e-5)


def test_cls_pooling_uses_the_first_token(tmp_path: Path) -> None:
    _write_model_dir(tmp_path)
    enc = ENCODERS.get("onnx-dir")(path=tmp_path, pooling="cls")
    np.testing.assert_allclose(enc.encode(["world hello"])[0], _unit(TABLE[2]), rtol=1e-5)


def test_missing_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"model\.onnx, tokenizer\.json"):
        ENCODERS.get("onnx-dir")(path=tmp_path)
    _write_model_dir(tmp_path)
    (tmp_path / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match=r"missing tokenizer\.json"):
        ENCODERS.get("onnx-dir")(path=tmp_path)


def test_corrupt_model_is_a_model_error(tmp_path: Path) -> None:
    _write_model_dir(tmp_path)
    (tmp_path / "model.onnx").write_bytes(b"garbage")
    with pytest.raises(ModelError, match=r"model\.onnx"):
        ENCODERS.get("onnx-dir")(path=tmp_path)
