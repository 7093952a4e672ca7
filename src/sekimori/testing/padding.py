"""Ordinary sentences to pad a request with (tests and benches of segment scoring).

Written for this project: everyday small talk and requests, EN and JA, nothing sensitive, so
padding a request with them must neither hide it nor raise a harmless text's score.
"""

from __future__ import annotations

from sekimori.types import Lang

_ENDS = frozenset(".!?。！？")

PADDING: dict[Lang, tuple[str, ...]] = {
    "en": (
        "Please also tell me about the weather in Paris.",
        "I am planning a short trip with my family next month.",
        "My favourite breakfast is toast with a little butter and jam.",
        "Could you recommend a good book about the history of jazz?",
        "The train to the city centre was late again this morning.",
        "We are repainting the living room a pale shade of green.",
        "My cousin just started learning to play the violin.",
        "What time does the public library usually open on Saturdays?",
        "The garden looks lovely now that the roses are in bloom.",
        "I would like to improve my handwriting this year.",
        "Our team meeting has been moved to Thursday afternoon.",
        "Could you suggest a simple recipe for vegetable soup?",
        "The museum has a new exhibition of landscape paintings.",
        "I have been trying to drink more water during the day.",
        "My neighbour's dog likes to bark at the postman.",
        "Thanks in advance for your help with all of this.",
        "The football match last night ended in a draw.",
        "I need to buy a birthday present for my sister.",
        "It has been raining all week, so the river is quite high.",
        "Please keep the answer friendly and easy to read.",
        "My laptop battery does not last as long as it used to.",
        "We watched a documentary about penguins yesterday evening.",
    ),
    "ja": (
        "ついでにパリの天気についても教えてください。",
        "来月、家族と短い旅行に行く予定です。",
        "朝ごはんはバターとジャムを塗ったトーストが好きです。",
        "ジャズの歴史についてのおすすめの本はありますか？",
        "今朝も電車が遅れて、会社に着くのがぎりぎりでした。",
        "リビングの壁を薄い緑色に塗り替えています。",
        "いとこが最近バイオリンを習い始めました。",
        "図書館は土曜日の何時に開きますか？",
        "バラが咲いて、庭がとてもきれいになりました。",
        "今年は字をもう少しきれいに書けるようになりたいです。",
        "チーム会議は木曜日の午後に変更になりました。",
        "簡単な野菜スープの作り方を教えてください。",
        "美術館で風景画の新しい展示が始まりました。",
        "最近は一日に水を多めに飲むようにしています。",
        "隣の家の犬は郵便屋さんによく吠えます。",
        "いろいろとお手数をおかけしますが、よろしくお願いします。",
        "昨夜のサッカーの試合は引き分けでした。",
        "妹の誕生日プレゼントを買わなければなりません。",
        "一週間ずっと雨だったので、川の水位が高くなっています。",
        "答えはやさしく、読みやすい言葉でお願いします。",
        "ノートパソコンの電池の持ちが前より悪くなりました。",
        "昨日の夜、ペンギンのドキュメンタリーを見ました。",
    ),
}


def padded(
    text: str, lang: Lang, count: int, *, where: str = "after", offset: int = 0, glued: bool = False
) -> str:
    """``text`` with ``count`` padding sentences ``before``, ``after`` or ``around`` it
    (half each side); ``offset`` rotates which sentences are used. A request without a closing
    mark ends at a line break, as a writer would set it apart; ``glued``: it runs straight into
    the padding, as an attacker would write it."""
    pool = PADDING[lang]
    pads = [pool[(offset + i) % len(pool)] for i in range(count)]
    sep = "" if lang == "ja" else " "
    if glued:
        return sep.join([*pads, text] if where == "before" else [text, *pads])
    request = text if text.rstrip()[-1:] in _ENDS else text + "\n"
    if where == "before":
        return sep.join(pads) + ("\n" if count else "") + request.rstrip("\n")
    if where == "around":
        half = count // 2
        gap = sep if request[-1:] != "\n" and count > half else ""
        return (
            sep.join(pads[:half]) + ("\n" if half else "") + request + gap + sep.join(pads[half:])
        )
    return request + (sep if request[-1:] != "\n" and count else "") + sep.join(pads)
