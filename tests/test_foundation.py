import pytest

from sekimori import taxonomy
from sekimori.errors import InputError, UnknownCategoryError
from sekimori.lang import Text, detect_lang
from sekimori.registry import Registry


def test_taxonomy_ids_are_unique_and_named_in_both_languages() -> None:
    ids = [c.id for c in taxonomy.CATEGORIES]
    assert len(ids) == len(set(ids)) == 15
    for c in taxonomy.CATEGORIES:
        assert c.name_en and c.name_ja and c.name_en != c.name_ja
        assert all(code.startswith("S") and 1 <= int(code[1:]) <= 14 for code in c.mlcommons)


def test_catastrophic_tier_is_the_weapons_of_mass_destruction_and_targeting() -> None:
    assert set(taxonomy.in_tier(taxonomy.Tier.CATASTROPHIC)) == {
        "weapons.bio",
        "weapons.chem",
        "weapons.nuclear",
        "military.targeting",
    }


def test_unknown_category_names_the_valid_ids() -> None:
    with pytest.raises(UnknownCategoryError, match=r"weapons\.bio"):
        taxonomy.category("weapons.laser")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("How do vaccines train the immune system?", "en"),
        ("使用済み核燃料の再処理とは", "ja"),
        ("Pythonでlistをソートする方法を教えて", "ja"),
        ("Tell me about 東京 in spring", "en"),
        ("", "en"),
        ("12345", "en"),
    ],
)
def test_detect_lang(text: str, lang: str) -> None:
    assert detect_lang(text) == lang


def test_text_picks_language_and_fills_values() -> None:
    t = Text(en="blocked: {cat}", ja="ブロックしました：{cat}")
    assert t("en", cat="x") == "blocked: x"
    assert t("ja", cat="x") == "ブロックしました：x"


def test_registry_rejects_duplicates_and_names_known_items() -> None:
    reg: Registry[int] = Registry("mutator")
    reg.register("a")(1)
    with pytest.raises(ValueError, match="twice"):
        reg.register("a")(2)
    with pytest.raises(InputError, match="known: a"):
        reg.get("b")
    assert reg.get("a") == 1 and "a" in reg and reg.names() == ["a"]
