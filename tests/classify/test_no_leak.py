"""The no-leak rule (issue 3, item 5): no training example equals an evaluation-only item."""

import pytest

from sekimori.classify.corpus import Example, Split
from sekimori.classify.evalsets import EVAL_ONLY, load_eval_sets
from sekimori.classify.leak import eval_keys, leak_key, leaks
from sekimori.classify.prompt import PromptModel
from sekimori.classify.train import corpus_settings_of, training_pool
from sekimori.paths import shared_data_dir

ROOT = shared_data_dir()
needs_data = pytest.mark.skipif(not ROOT.is_dir(), reason=f"shared data not at {ROOT}")


@pytest.fixture(scope="module")
def keys() -> frozenset[str]:
    return eval_keys(ROOT)


@needs_data
def test_no_training_example_equals_an_evaluation_item(keys: frozenset[str]) -> None:
    model = PromptModel.load()
    pool = training_pool(corpus_settings_of(model.meta), ROOT)
    found = leaks(pool.examples, keys)
    assert found == [], [f"{e.source}: {e.text[:80]}" for e in found[:10]]
    # The committed model was trained on exactly this pool.
    assert pool.dropped_as_eval == model.meta.data["dropped_as_eval_items"]


@needs_data
def test_an_obfuscated_copy_of_an_evaluation_item_counts_as_a_leak(keys: frozenset[str]) -> None:
    xstest = next(es for es in load_eval_sets(ROOT) if es.name == "xstest")
    original = xstest.items[0].text
    disguised = "  " + original.upper().replace(" ", "  ") + "\n"
    ex = Example(disguised, "en", False, (), False, "test", "g", Split.TRAIN)
    assert leak_key(disguised) == leak_key(original)
    assert leaks([ex], keys) == [ex]
    clean = Example("What is a fair price for apples?", "en", False, (), False, "test", "h")
    assert leaks([clean], keys) == []


@needs_data
def test_every_evaluation_only_folder_is_read(keys: frozenset[str]) -> None:
    folders = {es.folder for es in load_eval_sets(ROOT)}
    assert folders == set(EVAL_ONLY)
    assert len(keys) > 10_000
