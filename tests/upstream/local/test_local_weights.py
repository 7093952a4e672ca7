import shutil
from pathlib import Path

import pytest

from sekimori.errors import ModelError
from sekimori.upstream.local.generation import Limits
from sekimori.upstream.local.models import DEFAULT_MODEL, LOCAL_MODELS
from sekimori.upstream.local.weights import PackagedFile, locate, sha256_file


def test_packaged_weights_have_the_pinned_digest(weights_path: Path) -> None:
    assert sha256_file(weights_path) == LOCAL_MODELS.get(DEFAULT_MODEL).weights.sha256


def test_a_flipped_byte_is_refused_before_loading(weights_path: Path, tmp_path: Path) -> None:
    corrupt = tmp_path / "model.gguf"
    shutil.copyfile(weights_path, corrupt)
    with corrupt.open("r+b") as fh:
        fh.seek(corrupt.stat().st_size // 2)
        byte = fh.read(1)
        fh.seek(-1, 1)
        fh.write(bytes([byte[0] ^ 0x01]))
    with pytest.raises(ModelError, match=r"refusing to load .*sha256 [0-9a-f]{64} does not match"):
        LOCAL_MODELS.get(DEFAULT_MODEL).load(Limits(256, 8), path=corrupt)


def test_a_missing_model_package_names_the_install_command() -> None:
    spec = PackagedFile(distribution="sekimori-no-such-model", path="x.gguf", sha256="0" * 64)
    with pytest.raises(ModelError, match=r"pip install 'sekimori\[local\]'"):
        locate(spec)
