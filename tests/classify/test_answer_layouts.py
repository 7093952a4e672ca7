"""classify/answers/layouts.py: the second layout each of our training answers is shown in."""

from sekimori.classify.answers.layouts import flatten_list, listify, other_layout


def test_a_list_becomes_one_paragraph_with_every_item() -> None:
    text = "Here you go:\n1. Get the material.\n2. Keep it cold\n3) Move it later."
    flat = flatten_list(text)
    assert flat == "Here you go. Get the material. Keep it cold. Move it later."
    ja = "手順です。\n・材料を用意する\n・冷やしておく\n・あとで運ぶ"
    assert flatten_list(ja) == "手順です。材料を用意する。冷やしておく。あとで運ぶ。"


def test_prose_becomes_a_lead_and_a_numbered_list() -> None:
    text = "Sure. First get it. Then keep it cold. After that, move it."
    listed = "Sure.\n1. First get it.\n2. Then keep it cold.\n3. After that, move it."
    assert listify(text) == listed
    assert other_layout(text) == listify(text)


def test_structured_or_short_answers_keep_their_layout() -> None:
    assert listify("Too short. Only two.") is None
    assert listify("| a | b |\n|---|---|\n| 1 | 2 |. x. y. z.") is None
    assert listify('{"a": "one. two. three. four."}') is None
    assert listify("# step one. step two. step three. step four.") is None
    assert listify("Q. One? A. Two. Q. Three? A. Four.") is None
    assert listify("ユーザー：一つ。二つ。三つ。四つ。") is None
    assert other_layout("A refusal. Sorry.") is None
