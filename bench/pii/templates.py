"""Business-document templates for make_set.py (markup: `{type:generator}`, `{neg:generator}`)."""

DEV: list[tuple[str, str, str]] = [
    (
        "email",
        "ja",
        """件名：お見積りの件
{person:ja_sur}様

いつもお世話になっております。株式会社サンプル商事の{person:ja_full}です。
ご依頼の見積書（見積番号 Q-2024-{neg:amount}）を添付いたします。
ご不明点は携帯 {phone:ja_mobile} またはメール {email:email} までご連絡ください。
注文番号：{neg:luhn_order}
よろしくお願いいたします。
""",
    ),
    (
        "form",
        "ja",
        """【会員登録情報】
氏名：{person:ja_full}
フリガナ：{person:kana}
生年月日：{date_of_birth:dob_ja}
住所：{address:ja_address}
電話番号：{phone:ja_fixed}
マイナンバー：{my_number:my_number}
登録日時：{neg:timestamp}
""",
    ),
    (
        "invoice",
        "en",
        """INVOICE {neg:invoice}
Bill to: {person:en_full}
{address:en_address}
Phone: {phone:intl_phone}
Payment by card {card:card}, authorised {neg:timestamp}.
Order reference {neg:d16}
Wire to IBAN {bank_account:iban}, routing no. {bank_account:routing}
""",
    ),
    (
        "config",
        "en",
        """# deploy/settings.env  (build {neg:version})
AWS_ACCESS_KEY_ID={aws_access_key:aws_id}
AWS_SECRET_ACCESS_KEY={aws_secret_key:aws_secret}
DATABASE_URL=postgres://app:{password:password}@db.internal.example.com:5432/app
SLACK_BOT_TOKEN={slack_token:slack}
GITHUB_TOKEN={github_token:github}
LISTEN_ADDR={ip_address:ip4}
DB_PASSWORD=${DB_PASSWORD}
""",
    ),
    (
        "chat",
        "en",
        """[{neg:timestamp}] emily: Dear Mr. {person:en_last}, thanks for calling.
[{neg:timestamp}] emily: your passport number {passport:passport} is on file;
DOB {date_of_birth:dob_en}
[{neg:timestamp}] bot: tracking {neg:tracking} shipped, firmware version {neg:version}
[{neg:timestamp}] emily: the JWT was {jwt:jwt}
""",
    ),
    (
        "bank",
        "ja",
        """お振込先
三菱UFJ銀行 渋谷支店 普通 {bank_account:ja_account}
口座名義：{person:kana}
ご請求金額：{neg:amount}円（請求書番号 {neg:invoice}）
お問い合わせ：{phone:ja_fixed}
""",
    ),
    # Address look-alikes (added for the address-precision work; EN and JA): building and
    # office names in prose, dates and phone numbers right after a city, product codes and lot
    # numbers, company and event names with a street word, postal codes with no address.
    (
        "email",
        "ja",
        """件名：東京オフィス移転と説明会のご案内
{person:ja_sur}様

平素より大変お世話になっております。株式会社サンプル商事の{person:ja_full}です。
弊社東京オフィスは本社ビル3階から新しいビルへ移転いたします。新住所は下記のとおりです。
〒{address:ja_address_lines}
説明会は{neg:ja_city_date}に開催します（会場は{neg:ja_office_prose}）。
大阪府内の3店舗と愛知県の2拠点は従来どおり営業いたします。
型番 {neg:product_code} の製品は{neg:ja_city_lot}として出荷済みです。
配達エリア：郵便番号{neg:zip_bare}〜{neg:zip_bare}の地域は翌日配送です。
{neg:ja_city_office}{phone:ja_fixed}
""",
    ),
    (
        "ticket",
        "ja",
        """【お問い合わせ】受付番号 {neg:invoice}
お名前：{person:ja_full}
ご住所：{address:ja_address}
内容：{neg:ja_city_date}に購入した型番{neg:product_code}が動きません。
東京都の2024年度補助金の対象か知りたいです。
担当メモ：{neg:ja_office_prose}で再現確認、ロット{neg:zip_bare}。
""",
    ),
    (
        "email",
        "en",
        """Subject: Office move and the spring gala
Hi {person:en_full},
Our Tokyo office moves to the 12th floor next month. Please send the signed forms to
Address: {address:en_street}
The {neg:en_year_street} gala is on {neg:timestamp}; over {neg:en_street_firms} have replied.
Ordered items: {neg:en_product_drive} (order {neg:invoice}).
Ship to: {person:en_full}, {address:en_address}
""",
    ),
    (
        "chat",
        "en",
        """[{neg:timestamp}] alice: which branch did the audit, the one at the Tokyo office?
[{neg:timestamp}] bob: no, the {neg:en_year_street} team, they moved in {neg:en_year_street}
[{neg:timestamp}] bob: courier needs the address: {address:en_street}
[{neg:timestamp}] alice: and the spare {neg:en_product_drive} goes to the NY lab, floor 3
""",
    ),
]

BENCH: list[tuple[str, str, str]] = [
    (
        "email",
        "ja",
        """{person:ja_sur}部長

お疲れ様です。営業部の{person:ja_full}です。
先日ご相談した{person:ja_full}様の件、下記の通り情報を共有します。
・連絡先：{phone:ja_mobile}
・メール：{email:email}
・ご住所：{address:ja_address}
・クレジットカード：{card:card}
なお、受注番号 {neg:luhn_order} の納品は{neg:timestamp}予定です。
システムはバージョン {neg:version} に更新済みです。
""",
    ),
    (
        "hr",
        "ja",
        """社員情報変更届
社員名：{person:ja_full}
生年月日：{date_of_birth:dob_ja}
個人番号（マイナンバー）：{my_number:my_number}
給与振込口座：みずほ銀行 新宿支店 普通預金 口座番号 {bank_account:ja_account}
緊急連絡先：{phone:ja_mobile}
旅券番号：{passport:passport}
管理番号：{neg:tracking}
""",
    ),
    (
        "chat",
        "ja",
        """10:02 {person:ja_sur}さん、{address:ja_address}の件ですが、今日伺えますか？
10:05 了解です。念のため私の携帯は{phone:ja_mobile}です
10:06 配送の追跡番号は {neg:tracking} です
10:07 お客様のカード {card:card} は決済済みでした
10:09 社内サーバー {ip_address:ip4} が落ちてます。IPv6 は {ip_address:ip6}
""",
    ),
    (
        "email",
        "en",
        """From: {person:en_full} <{email:email}>
To: {person:en_full} <{email:email}>
Subject: Customer record update

Dear Ms. {person:en_last},

Please update the customer file: date of birth {date_of_birth:dob_en}, new address
{address:en_address}, mobile {phone:intl_phone}. Her card ending in the number
{card:card} should be charged for invoice {neg:invoice}. Ticket {neg:d16} is closed.

Best regards,
{person:en_full}
""",
    ),
    (
        "config",
        "en",
        """# service config, release {neg:version}
gcp:
  api_key: {gcp_api_key:gcp_key}
azure:
  storage: "DefaultEndpointsProtocol=https;AccountName=demo;\
AccountKey={azure_key:azure_key};EndpointSuffix=core.windows.net"
gitlab_token: {gitlab_token:gitlab}
redis_url: redis://default:{password:password}@cache.example.com:6379
upstream: {ip_address:ip4}
password: ********
""",
    ),
    (
        "keyfile",
        "en",
        """{"type": "service_account", "project_id": "demo-project",
 "private_key": "{private_key:pem_json}",
 "client_email": "{email:email}"}
# also: id_rsa
{private_key:pem}
token={jwt:jwt}
github: {github_token:github}
aws_secret_access_key = {aws_secret_key:aws_secret}
""",
    ),
    (
        "invoice",
        "ja",
        """請求書　{neg:invoice}
{person:ja_full} 様
〒 送付先：{address:ja_address}
TEL：{phone:ja_fixed}
お支払い：カード番号 {card:card}
発行日時：{neg:timestamp}
お振込の場合：ゆうちょ銀行 当座 {bank_account:ja_account}
郵便番号 {neg:zip_bare} は旧住所です
""",
    ),
    (
        "support",
        "en",
        """Support ticket {neg:d16} ({neg:timestamp})
Customer: {person:en_full}
Account No. {bank_account:us_account}
Passport number: {passport:passport}
Born on {date_of_birth:dob_en}
Callback: {phone:intl_phone}
Server {ip_address:ip4} runs version {neg:version}
""",
    ),
]
