"""Each entity type: positives and look-alike negatives, Japanese and English (development set)."""

from __future__ import annotations

import itertools

import pytest

from sekimori.classify.pii import PiiType, scan
from sekimori.classify.pii.detectors.card import is_card_number
from sekimori.classify.pii.detectors.mynumber import check_digit, is_valid

T = PiiType

POSITIVES: list[tuple[str, PiiType, str]] = [
    ("連絡先は taro.yamada@example.co.jp です", T.EMAIL, "taro.yamada@example.co.jp"),
    ("Mail me at j.smith+news@mail.example.com.", T.EMAIL, "j.smith+news@mail.example.com"),
    ("携帯：090-1234-5678までお願いします", T.PHONE, "090-1234-5678"),
    ("携帯 ０９０－１２３４－５６７８", T.PHONE, "０９０－１２３４－５６７８"),
    ("代表 03(3123)4567", T.PHONE, "03(3123)4567"),
    ("フリーダイヤル 0120-123-456", T.PHONE, "0120-123-456"),
    ("TEL 0312345678", T.PHONE, "0312345678"),
    ("Call +81 90 1234 5678 today", T.PHONE, "+81 90 1234 5678"),
    ("Phone: +1 (415) 555-0100", T.PHONE, "+1 (415) 555-0100"),
    ("UK office +44 20 7946 0958.", T.PHONE, "+44 20 7946 0958"),
    ("Tel: 212-555-0147", T.PHONE, "212-555-0147"),
    ("マイナンバー：1234 5678 9018", T.MY_NUMBER, "1234 5678 9018"),
    ("My Number 123456789018", T.MY_NUMBER, "123456789018"),
    ("カード番号 4111-1111-1111-1111", T.CARD, "4111-1111-1111-1111"),
    ("Visa 4242424242424242 exp 12/29", T.CARD, "4242424242424242"),
    ("Amex 3782 822463 10005", T.CARD, "3782 822463 10005"),
    ("ＪＣＢ ３５３０１１１３３３３０００００", T.CARD, "３５３０１１１３３３３０００００"),
    ("普通 1234567", T.BANK_ACCOUNT, "1234567"),
    ("口座番号：7654321", T.BANK_ACCOUNT, "7654321"),
    ("Account No. 000123456789", T.BANK_ACCOUNT, "000123456789"),
    ("routing number 021000021", T.BANK_ACCOUNT, "021000021"),
    ("IBAN GB82 WEST 1234 5698 7654 32", T.BANK_ACCOUNT, "GB82 WEST 1234 5698 7654 32"),
    ("旅券番号：TK1234567", T.PASSPORT, "TK1234567"),
    ("Passport No. C01234567", T.PASSPORT, "C01234567"),
    ("〒100-0005 東京都千代田区丸の内1-2-3", T.ADDRESS, "〒100-0005 東京都千代田区丸の内1-2-3"),
    ("大阪府大阪市北区梅田3丁目1番1号にて", T.ADDRESS, "大阪府大阪市北区梅田3丁目1番1号"),
    ("住所：渋谷区神南1-2-3", T.ADDRESS, "渋谷区神南1-2-3"),
    (
        "Ship to 1600 Amphitheatre Parkway, Mountain View, CA 94043 please",
        T.ADDRESS,
        "1600 Amphitheatre Parkway, Mountain View, CA 94043",
    ),
    ("Office: 221B Baker Street, London NW1 6XE", T.ADDRESS, "221B Baker Street, London NW1 6XE"),
    ("server 192.168.10.20 is down", T.IP_ADDRESS, "192.168.10.20"),
    ("route via 2001:db8:85a3::8a2e:370:7334 now", T.IP_ADDRESS, "2001:db8:85a3::8a2e:370:7334"),
    ("生年月日：1985年4月12日", T.DATE_OF_BIRTH, "1985年4月12日"),
    ("昭和60年4月12日生まれ", T.DATE_OF_BIRTH, "昭和60年4月12日"),
    ("DOB: 04/12/1985", T.DATE_OF_BIRTH, "04/12/1985"),
    ("She was born on March 3, 1990.", T.DATE_OF_BIRTH, "March 3, 1990"),
    ("氏名：山田太郎", T.PERSON, "山田太郎"),
    ("山田太郎様", T.PERSON, "山田太郎"),
    ("田中部長にご確認ください", T.PERSON, "田中"),
    ("口座名義：ヤマダ タロウ", T.PERSON, "ヤマダ タロウ"),
    ("Name: John Smith", T.PERSON, "John Smith"),
    ("Dear Ms. Smith,", T.PERSON, "Smith"),
    ("Best regards,\nEmily Clarke\n", T.PERSON, "Emily Clarke"),
    ("key AKIAIOSFODNN7EXAMPLE", T.AWS_ACCESS_KEY, "AKIAIOSFODNN7EXAMPLE"),
    (
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        T.AWS_SECRET_KEY,
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    (
        'api_key: "AIzaSyA1234567890abcdefghijklmnopqrstuv"',
        T.GCP_API_KEY,
        "AIzaSyA1234567890abcdefghijklmnopqrstuv",
    ),
    (
        "AccountName=x;AccountKey=" + "A" * 86 + "==;EndpointSuffix=core.windows.net",
        T.AZURE_KEY,
        "A" * 86 + "==",
    ),
    ("token ghp_" + "a1B2" * 9, T.GITHUB_TOKEN, "ghp_" + "a1B2" * 9),
    ("GITLAB=glpat-abcdefghij0123456789", T.GITLAB_TOKEN, "glpat-abcdefghij0123456789"),
    (
        "slack xoxb-12345678901-123456789012-abcdefABCDEF",
        T.SLACK_TOKEN,
        "xoxb-12345678901-123456789012-abcdefABCDEF",
    ),
    (
        "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",  # noqa: E501
        T.JWT,
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ),
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn\n-----END RSA PRIVATE KEY-----",  # noqa: E501
        T.PRIVATE_KEY,
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn\n-----END RSA PRIVATE KEY-----",  # noqa: E501
    ),
    (
        '"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0B\\n-----END PRIVATE KEY-----\\n"',  # noqa: E501
        T.PRIVATE_KEY,
        "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0B\\n-----END PRIVATE KEY-----",
    ),
    ("postgres://app:S3cr3t!pw@db.example.com/app", T.PASSWORD, "S3cr3t!pw"),
    ("DB_PASSWORD=hunter2x", T.PASSWORD, "hunter2x"),
    ("サーバー 10.0.12.7 に接続できません", T.IP_ADDRESS, "10.0.12.7"),
    (
        "AWSのシークレットキー：wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        T.AWS_SECRET_KEY,
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    ("トークンは glpat-abcdefghij0123456789 です", T.GITLAB_TOKEN, "glpat-abcdefghij0123456789"),
    ("Mobile: 090-1234-5678 (Japan)", T.PHONE, "090-1234-5678"),
    ("Card number: 5555 5555 5555 4444", T.CARD, "5555 5555 5555 4444"),
    ("Server=db;User Id=sa;Password=Tr0ub4dor&3;", T.PASSWORD, "Tr0ub4dor&3"),
    ("パスワード：Kx9#mq2z", T.PASSWORD, "Kx9#mq2z"),
]

NEGATIVES: list[tuple[str, PiiType]] = [
    ("注文番号：4111111111111111", T.CARD),
    ("Order 4242424242424242 shipped", T.CARD),
    ("invoice 4012888888881881", T.CARD),
    ("order id 1234567890123456", T.CARD),
    ("追跡番号 1234 5678 9018", T.MY_NUMBER),
    ("製品シリアル 123456789018", T.MY_NUMBER),
    ("番号 1234 5678 9012", T.MY_NUMBER),
    ("released 2024-01-15 10:30:45", T.PHONE),
    ("version 0.12.3", T.PHONE),
    ("請求書番号 0312345678", T.PHONE),
    ("見積 012-345", T.PHONE),
    ("郵便番号のような 123-4567", T.ADDRESS),
    ("東京都の天気は晴れ", T.ADDRESS),
    ("version 1.2.3.4 is out", T.IP_ADDRESS),
    ("バージョン 10.2.0.1 にアップデート", T.IP_ADDRESS),
    ("value 999.1.1.1 and 1.2.3", T.IP_ADDRESS),
    ("meeting at 10:30:45 on std::vector", T.IP_ADDRESS),
    ("納期：2024年6月30日", T.DATE_OF_BIRTH),
    ("Deadline: March 3, 2025", T.DATE_OF_BIRTH),
    ("お客様各位、皆様、担当者様", T.PERSON),
    ("多様な仕様、同様に", T.PERSON),
    ("営業部長が承認", T.PERSON),
    ("Dear Customer,", T.PERSON),
    ("Hi Team!", T.PERSON),
    ("password: ********", T.PASSWORD),
    ("DB_PASSWORD=${DB_PASSWORD}", T.PASSWORD),
    ("password: <password>", T.PASSWORD),
    ("Passenger: John Smith", T.PASSWORD),
    ("パスワード：********", T.PASSWORD),
    ("Order no. 1234 5678 9018", T.MY_NUMBER),
    ("Ship 20 units to Main office by Friday", T.ADDRESS),
    ("普通は 3 日で届きます（注文 1234567）", T.BANK_ACCOUNT),
    ("パスポートの申請には 2 週間かかります", T.PASSPORT),
    ("ログの 2024-05-01T10:30:45+09:00 を確認", T.PHONE),
    ("eyJub3QiOiJqd3QifQ.eyJzdWIiOjF9.sig is not a JWT header", T.JWT),
    ("AKIA is an AWS prefix; AKIAEXAMPLE too short", T.AWS_ACCESS_KEY),
    ("ticket 123-4567-89", T.BANK_ACCOUNT),
    ("the passport office opens at 9", T.PASSPORT),
]


@pytest.mark.parametrize(("text", "kind", "value"), POSITIVES)
def test_finds_each_type(text: str, kind: PiiType, value: str) -> None:
    found = [(s.type, text[s.start : s.end]) for s in scan(text)]
    assert (kind, value) in found


@pytest.mark.parametrize(("text", "kind"), NEGATIVES)
def test_look_alikes_are_not_reported(text: str, kind: PiiType) -> None:
    assert [text[s.start : s.end] for s in scan(text) if s.type is kind] == []


def test_every_type_has_a_positive_case() -> None:
    assert {k for _, k, _ in POSITIVES} == set(PiiType)


def test_my_number_check_digit() -> None:
    assert check_digit("12345678901") == 8
    assert is_valid("1234 5678 9018")
    assert not is_valid("1234 5678 9012")


def test_card_needs_luhn_and_issuer_range() -> None:
    assert is_card_number("4111 1111 1111 1111")
    assert not is_card_number("4111 1111 1111 1112")  # Luhn fails
    assert not is_card_number("9111111111111115")  # no issuer starts with 9


def test_spans_do_not_overlap_and_carry_scores() -> None:
    text = "postgres://app:S3cr3t!pw@db.example.com/app 氏名：山田太郎 TEL 090-1234-5678"
    spans = scan(text)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    assert all(0.0 < s.score <= 1.0 for s in spans)
    assert T.EMAIL not in {s.type for s in spans}  # the password inside the URL wins


# Addresses need stronger context than a number and a street word (EN) or a city and digits (JA).
ADDRESS_POSITIVES: list[tuple[str, str | None]] = [
    ("〒100-0005\n東京都千代田区丸の内1-2-3", "〒100-0005\n東京都千代田区丸の内1-2-3"),
    ("送付先：〒530-0001 大阪府大阪市北区梅田3丁目1番1号 第一ハイツ5F", None),
    ("住所は神奈川県横浜市西区みなとみらい2-3-1です", "神奈川県横浜市西区みなとみらい2-3-1"),
    ("Address: 42 Oak Street", "42 Oak Street"),
    ("Please ship to 700 Market Ave. by Monday", "700 Market Ave."),
    ("Dear Ms Brown,\n15 Hillside Road\nthanks for your order", "15 Hillside Road"),
    ("Ms Emily Brown\n15 Hillside Road,\nSpringfield", "15 Hillside Road"),
    ("We met at 1200 Pine Drive, Suite 300, Austin, TX 78701.", None),
]
ADDRESS_LOOK_ALIKES: list[str] = [
    "郵便番号 100-0005 の地域は配達が遅れています",
    "〒530-0001〜530-0005 は翌日配送です",
    "説明会は神奈川県横浜市で2025-05-12に開催します",
    "東京都千代田区にて2025/6/1開催",
    "東京都港区の代表番号03-5555-0123までお電話ください",
    "愛知県名古屋市中村区の工場製ロットNo.12-345を出荷",
    "弊社東京オフィスは本社ビル3階にあります",
    "大阪府内の3店舗と愛知県の2拠点",
    "The 2019 Pine St. gala was sold out.",
    "Over 300 Wall Street firms replied to the survey.",
    "Ordered: 2 Terabyte Portable Drive (order INV-2024-00012)",
    "Ordered: 2 Terabyte Portable Drive, Black, qty 3",
    "Items:\n2 Terabyte Portable Drive, Black\n1 USB cable",
    "Our Tokyo office moves to the 12th floor next month.",
    "They moved in 2016 Pine Drive team",
]


@pytest.mark.parametrize(("text", "value"), ADDRESS_POSITIVES)
def test_addresses_with_strong_context_are_found(text: str, value: str | None) -> None:
    found = [text[s.start : s.end] for s in scan(text) if s.type is T.ADDRESS]
    assert len(found) == 1
    if value is not None:
        assert found == [value]


@pytest.mark.parametrize("text", ADDRESS_LOOK_ALIKES)
def test_address_look_alikes_are_not_reported(text: str) -> None:
    assert [text[s.start : s.end] for s in scan(text) if s.type is T.ADDRESS] == []


@pytest.mark.parametrize("text", ["担当メモ：再現を確認", "担当エリア：関東"])
def test_a_label_fused_with_a_katakana_word_is_not_a_name(text: str) -> None:
    assert [s for s in scan(text) if s.type is T.PERSON] == []


def test_a_label_with_a_katakana_name_still_counts() -> None:
    text = "フリガナ：ヤマダ タロウ"
    assert [text[s.start : s.end] for s in scan(text) if s.type is T.PERSON] == ["ヤマダ タロウ"]
