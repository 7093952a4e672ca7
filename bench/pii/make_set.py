"""Writes the labelled PII set `data/pii/{dev,bench}.jsonl` from business-document templates.

Every value is fake: names from common-name lists, documented test card numbers and
Luhn-valid numbers in test-like ranges, My Numbers with a valid check digit but random
digits, phone numbers in fictional/reserved ranges (555-01xx, 020 7946 0xxx), example.com /
example.co.jp domains, AWS's documented EXAMPLE keys style and random secrets of the real
shape. Templates are split: the `dev` templates were used while writing the detectors, the
`bench` templates were measured once (see RESULTS.md).

Markup in templates: `{type:generator}` is a labelled span; `{neg:generator}` a look-alike
that must NOT be reported.

Run: python bench/pii/make_set.py
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "data" / "pii"

SURNAMES = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "松本",
    "井上",
    "木村",
    "清水",
    "森田",
    "藤原",
    "岡本",
]
# Rarer surnames the person detector's list does not hold: recall on them is the honest figure.
RARE_SURNAMES = ["東海林", "勅使河原", "五十嵐", "真壁", "日下部", "御手洗", "目黒", "百瀬"]
GIVEN = ["太郎", "花子", "健一", "美咲", "翔太", "陽子", "大輔", "由美", "拓也", "恵", "直樹", "彩"]
KANA = ["ヤマダ タロウ", "スズキ ハナコ", "タナカ ケンイチ", "サトウ ミサキ", "イノウエ ナオキ"]
EN_FIRST = [
    "John",
    "Emily",
    "Michael",
    "Sarah",
    "David",
    "Laura",
    "James",
    "Olivia",
    "Robert",
    "Hannah",
    "Daniel",
    "Grace",
]
EN_LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Taylor",
    "Anderson",
    "Clarke",
    "Patel",
    "Nguyen",
    "Okafor",
    "Miller",
]
STREETS = [
    "Main",
    "Oak",
    "Maple",
    "Cedar",
    "Elm",
    "Lakeview",
    "Hillside",
    "Market",
    "Mission",
    "Pine",
]
SUFFIXES = ["Street", "St.", "Avenue", "Ave.", "Road", "Blvd.", "Lane", "Drive", "Way", "Court"]
CITIES = [("Springfield", "IL", "62704"), ("Portland", "OR", "97205"), ("Austin", "TX", "78701")]
UK = [("London", "EC1A 1BB"), ("Manchester", "M1 1AE")]
JA_ADDR = [
    ("東京都", "千代田区", "丸の内"),
    ("東京都", "渋谷区", "神南"),
    ("大阪府", "大阪市北区", "梅田"),
    ("神奈川県", "横浜市西区", "みなとみらい"),
    ("愛知県", "名古屋市中村区", "名駅"),
    ("福岡県", "福岡市博多区", "博多駅前"),
    ("北海道", "札幌市中央区", "北一条西"),
    ("京都府", "京都市下京区", "烏丸通"),
]
BUILDINGS = ["サンプルビル", "第一ハイツ", "グリーンタワー", "みなとプラザ", ""]
TEST_CARDS = [
    "4111111111111111",
    "4242424242424242",
    "4012888888881881",
    "5555555555554444",
    "5105105105105100",
    "2223003122003222",
    "378282246310005",
    "371449635398431",
    "3530111333300000",
    "3566002020360505",
    "6011111111111117",
    "30569309025904",
]
FW = str.maketrans("0123456789-", "０１２３４５６７８９－")


class Gen:
    def __init__(self, rnd: random.Random) -> None:
        self.r = rnd

    def digits(self, n: int) -> str:
        return "".join(self.r.choice(string.digits) for _ in range(n))

    # people ---------------------------------------------------------------------------
    def ja_full(self) -> str:
        sur = self.r.choice(SURNAMES + RARE_SURNAMES)
        return sur + self.r.choice(["", " ", "\u3000"]) + self.r.choice(GIVEN)

    def ja_sur(self) -> str:
        return self.r.choice(SURNAMES + RARE_SURNAMES)

    def kana(self) -> str:
        return self.r.choice(KANA)

    def en_full(self) -> str:
        return f"{self.r.choice(EN_FIRST)} {self.r.choice(EN_LAST)}"

    def en_last(self) -> str:
        return self.r.choice(EN_LAST)

    def email(self) -> str:
        user = self.r.choice(
            ["taro.yamada", "h.suzuki", "jsmith", "emily_b", "sales-team", "k.tanaka+jp"]
        )
        dom = self.r.choice(["example.com", "example.co.jp", "mail.example.org", "example.net"])
        return f"{user}{self.r.randint(1, 99)}@{dom}"

    # numbers --------------------------------------------------------------------------
    def ja_mobile(self) -> str:
        v = f"{self.r.choice(['090', '080', '070'])}-{self.digits(4)}-{self.digits(4)}"
        return v.translate(FW) if self.r.random() < 0.25 else v

    def ja_fixed(self) -> str:
        return self.r.choice(
            [
                f"03-{self.digits(4)}-{self.digits(4)}",
                f"06-{self.digits(4)}-{self.digits(4)}",
                f"045-{self.digits(3)}-{self.digits(4)}",
                f"0120-{self.digits(3)}-{self.digits(3)}",
                f"03({self.digits(4)}){self.digits(4)}",
                f"0{self.r.choice('3456')}{self.digits(8)}",
            ]
        )

    def intl_phone(self) -> str:
        return self.r.choice(
            [
                f"+81-90-{self.digits(4)}-{self.digits(4)}",
                f"+81 3 {self.digits(4)} {self.digits(4)}",
                f"+1 (415) 555-01{self.digits(2)}",
                f"+1-212-555-01{self.digits(2)}",
                f"+44 20 7946 0{self.digits(3)}",
                f"+8190{self.digits(8)}",
            ]
        )

    def my_number(self) -> str:
        body = self.digits(11)
        total = sum(int(c) * (n + 1 if n <= 6 else n - 5) for n, c in enumerate(reversed(body), 1))
        rem = total % 11
        d = body + str(0 if rem <= 1 else 11 - rem)
        fmt = self.r.choice(["{}{}{}", "{} {} {}", "{}-{}-{}"])
        v = fmt.format(d[:4], d[4:8], d[8:])
        return v.translate(FW) if self.r.random() < 0.2 else v

    def card(self) -> str:
        d = self.r.choice(TEST_CARDS)
        if len(d) == 16:
            sep = self.r.choice(["", " ", "-"])
            return sep.join(d[i : i + 4] for i in range(0, 16, 4))
        if len(d) == 15:
            return self.r.choice([d, f"{d[:4]} {d[4:10]} {d[10:]}"])
        return d

    def luhn_order(self) -> str:
        """A 16-digit number in a card range that passes Luhn: only its label says 'order'."""
        while True:
            d = "4" + self.digits(15)
            total = 0
            for i, ch in enumerate(reversed(d)):
                n = int(ch) * (2 if i % 2 else 1)
                total += n - 9 if n > 9 else n
            if total % 10 == 0:
                return d

    def ja_account(self) -> str:
        return self.digits(7)

    def us_account(self) -> str:
        return self.digits(self.r.randint(8, 12))

    def routing(self) -> str:
        while True:
            d = self.digits(9)
            if sum(int(c) * k for c, k in zip(d, (3, 7, 1) * 3, strict=True)) % 10 == 0:
                return d

    def iban(self) -> str:
        return self.r.choice(
            ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "GB33BUKB20201555555555"]
        )

    def passport(self) -> str:
        return self.r.choice(["TK", "TR", "MZ", "C"]) + self.digits(
            7 if self.r.random() < 0.7 else 8
        )

    def ip4(self) -> str:
        return self.r.choice(
            [
                f"192.168.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}",
                f"10.{self.r.randint(0, 255)}.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}",
                f"203.0.113.{self.r.randint(1, 254)}",
                f"198.51.100.{self.r.randint(1, 254)}",
            ]
        )

    def ip6(self) -> str:
        return f"2001:db8:{self.r.randint(1, 0xFFFF):x}::{self.r.randint(1, 0xFFFF):x}"

    def dob_ja(self) -> str:
        y, m, d = self.r.randint(1950, 2004), self.r.randint(1, 12), self.r.randint(1, 28)
        return self.r.choice(
            [
                f"{y}年{m}月{d}日",
                f"{y}/{m:02d}/{d:02d}",
                f"昭和{self.r.randint(30, 63)}年{m}月{d}日",
            ]
        )

    def dob_en(self) -> str:
        y, m, d = self.r.randint(1950, 2004), self.r.randint(1, 12), self.r.randint(1, 28)
        month = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ][m - 1]
        return self.r.choice(
            [
                f"{month} {d}, {y}",
                f"{d} {month[:3]} {y}",
                f"{y}-{m:02d}-{d:02d}",
                f"{m:02d}/{d:02d}/{y}",
            ]
        )

    def ja_address(self) -> str:
        pref, city, town = self.r.choice(JA_ADDR)
        block = self.r.choice(
            [
                f"{self.r.randint(1, 9)}-{self.r.randint(1, 30)}-{self.r.randint(1, 20)}",
                f"{self.r.randint(1, 9)}丁目{self.r.randint(1, 30)}番{self.r.randint(1, 20)}号",
            ]
        )
        b = self.r.choice(BUILDINGS)
        build = f" {b}{self.r.randint(2, 12)}F" if b else ""
        zipc = f"〒{self.digits(3)}-{self.digits(4)} " if self.r.random() < 0.6 else ""
        return f"{zipc}{pref}{city}{town}{block}{build}"

    def en_address(self) -> str:
        street = f"{self.r.randint(10, 9999)} {self.r.choice(STREETS)} {self.r.choice(SUFFIXES)}"
        if self.r.random() < 0.5:
            city, st, z = self.r.choice(CITIES)
            return f"{street}, Suite {self.r.randint(100, 999)}, {city}, {st} {z}"
        city, pc = self.r.choice(UK)
        return f"{street}, {city} {pc}"

    def ja_address_lines(self) -> str:
        """A postal code on its own line above the address (the 〒 mark is in the template)."""
        pref, city, town = self.r.choice(JA_ADDR)
        block = f"{self.r.randint(1, 9)}-{self.r.randint(1, 30)}-{self.r.randint(1, 20)}"
        return f"{self.digits(3)}-{self.digits(4)}\n{pref}{city}{town}{block}"

    def en_street(self) -> str:
        return f"{self.r.randint(10, 9999)} {self.r.choice(STREETS)} {self.r.choice(SUFFIXES)}"

    # secrets --------------------------------------------------------------------------
    def _rand(self, alphabet: str, n: int) -> str:
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def aws_id(self) -> str:
        return "AKIA" + self._rand(string.ascii_uppercase + "234567", 16)

    def aws_secret(self) -> str:
        return self._rand(string.ascii_letters + string.digits + "/+", 40)

    def gcp_key(self) -> str:
        return "AIza" + self._rand(string.ascii_letters + string.digits + "_-", 35)

    def azure_key(self) -> str:
        return base64.b64encode(self.r.randbytes(64)).decode()

    def github(self) -> str:
        return "ghp_" + self._rand(string.ascii_letters + string.digits, 36)

    def gitlab(self) -> str:
        return "glpat-" + self._rand(string.ascii_letters + string.digits + "_-", 20)

    def slack(self) -> str:
        return f"xoxb-{self.digits(11)}-{self.digits(12)}-{self._rand(string.ascii_letters + string.digits, 24)}"  # noqa: E501

    def jwt(self) -> str:
        def b64(obj: object) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

        head = b64({"alg": "HS256", "typ": "JWT"})
        body = b64({"sub": self.digits(6), "name": "test user", "iat": 1700000000})
        return f"{head}.{body}.{self._rand(string.ascii_letters + string.digits + '_-', 43)}"

    def pem(self) -> str:
        lines = [base64.b64encode(self.r.randbytes(48)).decode() for _ in range(4)]
        return (
            "-----BEGIN RSA PRIVATE KEY-----\n"
            + "\n".join(lines)
            + "\n-----END RSA PRIVATE KEY-----"
        )

    def pem_json(self) -> str:
        lines = [base64.b64encode(self.r.randbytes(48)).decode() for _ in range(3)]
        return (
            "-----BEGIN PRIVATE KEY-----\\n" + "\\n".join(lines) + "\\n-----END PRIVATE KEY-----\\n"
        )

    def password(self) -> str:
        return (
            self._rand(string.ascii_letters, 5)
            + self.digits(3)
            + self.r.choice("!#%&")
            + self._rand(string.ascii_lowercase, 3)
        )

    # negatives ------------------------------------------------------------------------
    def version(self) -> str:
        return self.r.choice(
            [
                f"{self.r.randint(1, 12)}.{self.r.randint(0, 20)}.{self.r.randint(0, 9)}.{self.r.randint(0, 200)}",  # noqa: E501
                f"v{self.r.randint(1, 5)}.{self.r.randint(0, 9)}.{self.r.randint(0, 30)}",
            ]
        )

    def timestamp(self) -> str:
        return f"2024-{self.r.randint(1, 12):02d}-{self.r.randint(1, 28):02d} {self.r.randint(0, 23):02d}:{self.r.randint(0, 59):02d}:{self.r.randint(0, 59):02d}"  # noqa: E501

    def invoice(self) -> str:
        return f"INV-2024-{self.digits(5)}"

    def tracking(self) -> str:
        return self.digits(12)

    def d16(self) -> str:
        return self.digits(16)

    def zip_bare(self) -> str:
        return f"{self.digits(3)}-{self.digits(4)}"

    def _pref_city(self) -> str:
        pref, city, _ = self.r.choice(JA_ADDR)
        return f"{pref}{city}"

    def ja_city_date(self) -> str:
        date = f"2025-{self.r.randint(1, 12):02d}-{self.r.randint(1, 28):02d}"
        return f"{self._pref_city()}{self.r.choice(['で', 'にて', '会場で'])}{date}"

    def ja_city_lot(self) -> str:
        return f"{self._pref_city()}の工場製ロットNo.{self.r.randint(1, 99)}-{self.digits(3)}"

    def ja_city_office(self) -> str:
        return f"{self._pref_city()}{self.r.choice(['の代表番号', '窓口 ', '支店：'])}"

    def ja_office_prose(self) -> str:
        return self.r.choice(
            [
                f"{self._pref_city()}の本社ビル{self.r.randint(2, 30)}階",
                f"東京オフィス{self.r.randint(2, 9)}F会議室",
                f"{self._pref_city()}内のサンプルビル",
            ]
        )

    def product_code(self) -> str:
        return f"{self.r.choice(['KX', 'SR', 'MT'])}-{self.r.randint(10, 99)}-{self.digits(3)}"

    def en_year_street(self) -> str:
        return f"{self.r.randint(1990, 2025)} {self.r.choice(STREETS)} {self.r.choice(SUFFIXES)}"

    def en_street_firms(self) -> str:
        return f"{self.r.randint(20, 900)} Wall Street firms"

    def en_product_drive(self) -> str:
        return f"{self.r.randint(1, 8)} Terabyte Portable Drive"

    def amount(self) -> str:
        return f"{self.r.randint(1, 999)},{self.digits(3)},{self.digits(3)}"


def render(template: str, gen: Gen) -> tuple[str, list[dict[str, object]]]:
    out: list[str] = []
    spans: list[dict[str, object]] = []
    pos = 0
    length = 0
    for m in re.finditer(r"\{(\w+):(\w+)\}", template):
        lit = template[pos : m.start()]
        out.append(lit)
        length += len(lit)
        kind, name = m.group(1), m.group(2)
        fn: Callable[[], str] = getattr(gen, name)
        value = fn()
        if kind != "neg":
            spans.append({"start": length, "end": length + len(value), "type": kind})
        out.append(value)
        length += len(value)
        pos = m.end()
    out.append(template[pos:])
    return "".join(out), spans


def main() -> None:
    from templates import BENCH, DEV  # local module beside this script

    for split, templates, seed, copies in (("dev", DEV, 1, 3), ("bench", BENCH, 2, 7)):
        rnd = random.Random(seed)
        gen = Gen(rnd)
        rows = []
        for t_id, (kind, lang, template) in enumerate(templates):
            for copy in range(copies):
                text, spans = render(template, gen)
                rows.append(
                    {
                        "id": f"{split}-{t_id:02d}-{copy}",
                        "kind": kind,
                        "lang": lang,
                        "text": text,
                        "spans": spans,
                    }
                )
        OUT.mkdir(parents=True, exist_ok=True)
        with (OUT / f"{split}.jsonl").open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        n = sum(len(r["spans"]) for r in rows)  # type: ignore[arg-type]
        print(f"{split}: {len(rows)} documents, {n} spans")


if __name__ == "__main__":
    main()
