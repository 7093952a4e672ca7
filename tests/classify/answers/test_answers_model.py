import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from sekimori.classify.answers.model import MODEL_DIR, load_model
from sekimori.errors import ModelError


@pytest.fixture
def artefacts(tmp_path: Path) -> Path:
    for name in ("answers.json", "answers.npz"):
        shutil.copy(MODEL_DIR / name, tmp_path / name)
    return tmp_path


def test_committed_artefacts_load_and_are_small() -> None:
    model = load_model()
    assert (MODEL_DIR / "answers.npz").stat().st_size < 3_000_000
    assert 0.0 < model.threshold < 1.0
    assert model.refusal.layers[0][0].shape[0] == model.mean.shape[0]
    assert model.refusal.layers[-1][0].shape[1] == 3
    assert model.ngram.layers[0][0].shape[1] == 3
    assert 0.0 <= model.blend <= 1.0 and model.refusal_bias.shape == (3,)
    out = model.predict(np.zeros((2, model.mean.shape[0]), dtype=np.float32), ["a", "b"])
    assert out.refusal.shape == (2, 3) and out.harm.shape == (2,)
    assert np.allclose(out.refusal.sum(axis=1), 1.0, atol=1e-5)


def test_a_corrupted_weights_file_is_refused(artefacts: Path) -> None:
    with (artefacts / "answers.npz").open("ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(ModelError, match=r"answers\.npz: sha256"):
        load_model(artefacts)


def test_missing_artefacts_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="sekimori train answers"):
        load_model(tmp_path)


def test_an_unknown_category_is_refused(artefacts: Path) -> None:
    meta = json.loads((artefacts / "answers.json").read_text())
    meta["category_ids"] = ["weapons.laser"]
    (artefacts / "answers.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="categories"):
        load_model(artefacts)


def test_wrong_feature_width_is_an_error() -> None:
    with pytest.raises(ModelError, match="features"):
        load_model().predict(np.zeros((1, 7), dtype=np.float32), ["a"])


def test_rows_and_answers_must_pair_up() -> None:
    model = load_model()
    with pytest.raises(ModelError, match="answers"):
        model.predict(np.zeros((2, model.mean.shape[0]), dtype=np.float32), ["only one"])


def test_a_changed_ngram_layout_is_refused(artefacts: Path) -> None:
    meta = json.loads((artefacts / "answers.json").read_text())
    meta["ngram"] = {"buckets": 1024, "max_n": 4}
    (artefacts / "answers.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="n-gram"):
        load_model(artefacts)
