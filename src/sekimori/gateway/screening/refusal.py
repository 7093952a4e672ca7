"""What a person reads when the gateway stops something: polite, in their language, specific.

The category is named in plain words (taxonomy names, or the operator's name for a custom
category). Self-harm gets a supportive answer with places to find help instead of a refusal.
"""

from __future__ import annotations

from collections.abc import Sequence

from sekimori.lang import Text
from sekimori.policy.model import CUSTOM_PREFIX
from sekimori.taxonomy import BY_ID, SELF_HARM, SIGNAL_JAILBREAK, SIGNAL_PII

_BLOCKED = Text(
    en="I'm sorry, but I can't help with this request because it concerns {names}, which this "
    "service does not allow. If you think this is a mistake, please contact the service's "
    "operator.",
    ja="申し訳ありませんが、このご依頼は{names}に関わる内容のため、このサービスではお手伝いできません。"
    "誤りと思われる場合は、サービスの運営者にお問い合わせください。",
)
_SUPPORT = Text(
    en="It sounds like you may be going through something very painful, and I'm sorry you're "
    "feeling this way. You don't have to face it alone. If you are in danger right now, please "
    "call your local emergency number. In Japan you can talk to いのちの電話 (0570-783-556) or "
    "よりそいホットライン (0120-279-338, 24 hours); elsewhere, findahelpline.com lists free, "
    "confidential helplines in your country. Telling someone you trust how you feel can help too.",
    ja="とてもつらい思いをされているのかもしれません。一人で抱え込まないでください。"
    "今すぐ危険がある場合は、119番または110番に電話してください。"
    "いのちの電話（0570-783-556）や、よりそいホットライン（0120-279-338、24時間対応）で話を"
    "聞いてもらえます。海外の相談窓口は findahelpline.com で探せます。"
    "信頼できる人に今の気持ちを話してみることも助けになります。",
)
_UNCHECKED = Text(
    en="I'm sorry, the safety check for this request could not run just now, so the request was "
    "not sent. Please try again in a moment.",
    ja="申し訳ありませんが、現在このリクエストの安全確認を実行できなかったため、送信を見合わせました。"
    "しばらくしてからもう一度お試しください。",
)
_WITHHELD = Text(
    en="I'm sorry, the model answered, but the safety check of its answer could not run just "
    "now, so the answer was withheld. Please try again in a moment.",
    ja="申し訳ありませんが、モデルは回答しましたが、回答の安全確認を現在実行できなかったため、"
    "回答の表示を見合わせました。しばらくしてからもう一度お試しください。",
)
_DENIED = Text(
    en="I'm sorry, this model is not available to your account under this service's access "
    "rules ({reason}).",
    ja="申し訳ありませんが、このサービスのアクセス規則（{reason}）により、"
    "お使いのアカウントではこのモデルをご利用いただけません。",
)
_TOO_LARGE = Text(
    en="I'm sorry, this request is longer than this service can check for safety, so it was not "
    "sent. Please shorten it or split it into smaller requests.",
    ja="申し訳ありませんが、このリクエストはこのサービスで安全確認できる長さを超えているため、"
    "送信しませんでした。短くするか、いくつかのリクエストに分けてください。",
)
_CUT = Text(
    en="\n\n[This answer was stopped because it turned to {names}, which this service does not "
    "allow.]",
    ja="\n\n［回答が{names}に関わる内容になったため、ここで停止しました。］",
)


_SIGNALS = {
    SIGNAL_JAILBREAK: Text(en="attempts to get around the safety rules", ja="安全ルールの回避"),
    SIGNAL_PII: Text(en="personal data or secrets", ja="個人情報・機密情報"),
}
_ACCESS = Text(en="a model not available to your account", ja="ご利用いただけないモデル")
_OTHER = Text(en="content this service does not allow", ja="このサービスで許可されていない内容")


def display_name(category_id: str, lang: str) -> str:
    """A category in plain words: the taxonomy's name, or the operator's custom category name."""
    if category_id in BY_ID:
        return BY_ID[category_id].name(lang)
    if category_id.startswith(CUSTOM_PREFIX):
        return category_id.removeprefix(CUSTOM_PREFIX).replace("_", " ").replace("-", " ")
    if category_id.startswith("access."):
        return _ACCESS(lang)
    return _SIGNALS.get(category_id, _OTHER)(lang)


def _names(categories: Sequence[str], lang: str) -> str:
    names = [display_name(c, lang) for c in categories] or [Text(en="content", ja="内容")(lang)]
    joiner = "、" if lang == "ja" else ", "
    return joiner.join(dict.fromkeys(names))


def refusal(categories: Sequence[str], lang: str, *, support: bool = False) -> str:
    """The refusal naming `categories`; the self-harm support answer instead when self-harm is
    among them or `support` (self-harm among the blocking categories, though not named first:
    "the best place to kill yourself" blocks as violent crime ahead of self-harm)."""
    if support or SELF_HARM in categories:
        return _SUPPORT(lang)
    return _BLOCKED(lang, names=_names(categories, lang))


def cut_notice(categories: Sequence[str], lang: str, *, support: bool = False) -> str:
    if support or SELF_HARM in categories:
        return "\n\n" + _SUPPORT(lang)
    return _CUT(lang, names=_names(categories, lang))


def unchecked(lang: str) -> str:
    return _UNCHECKED(lang)


def withheld(lang: str) -> str:
    """The answer screen failed: the request was sent and answered, the answer is withheld."""
    return _WITHHELD(lang)


def too_large(lang: str) -> str:
    """More text than the screen checks, refused as a completion (`oversize: block`)."""
    return _TOO_LARGE(lang)


def denied(rule: str, lang: str) -> str:
    return _DENIED(lang, reason=rule)
