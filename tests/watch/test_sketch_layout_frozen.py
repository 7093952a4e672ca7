from sekimori.taxonomy import CATEGORY_IDS
from sekimori.watch.sketch import KEPT_CATEGORIES, PACKED_SIZE


def test_a_category_added_to_the_taxonomy_leaves_the_stored_sketch_layout_as_it_was() -> None:
    # Sketches already stored must stay readable: format 1 keeps the first fourteen categories.
    assert CATEGORY_IDS[: len(KEPT_CATEGORIES)] == KEPT_CATEGORIES
    assert "ip.copyright" in CATEGORY_IDS and "ip.copyright" not in KEPT_CATEGORIES
    assert PACKED_SIZE == 93
