"""Every string the console shows, in English and Japanese (the templates call `t(key)`)."""

from __future__ import annotations

LANGS = ("en", "ja")

TEXT: dict[str, tuple[str, str]] = {
    "title": ("sekimori console", "sekimori 管理コンソール"),
    "overview": ("Overview", "概要"),
    "keys": ("Tenants and keys", "テナントとキー"),
    "policy": ("Policy", "ポリシー"),
    "audit": ("Audit", "監査ログ"),
    "redteam": ("Red-team", "レッドチーム"),
    "watch": ("Watch", "監視"),
    "alerts": ("Alerts, newest first", "アラート（新しい順）"),
    "detector": ("Detector", "検出器"),
    "unit": ("Unit", "単位"),
    "action": ("Action", "対応"),
    "score_level": ("Score / level", "スコア / 基準"),
    "no_alerts": (
        "No alerts. The watch writes them as it sees campaigns (docs/watch.md).",
        "アラートはありません。監視機能が不審な利用を検出すると記録されます（docs/watch.md）。",
    ),
    "logout": ("Log out", "ログアウト"),
    "signed_in_as": ("Signed in as", "ログイン中:"),
    "login": ("Log in", "ログイン"),
    "account": ("Account (empty: admin token)", "アカウント（空欄: 管理トークン）"),
    "password": ("Password or admin token", "パスワードまたは管理トークン"),
    "login_failed": ("Wrong account or password.", "アカウントまたはパスワードが違います。"),
    "login_throttled": (
        "Too many failed logins. Try again in {s} s.",
        "ログインの失敗が多すぎます。{s} 秒後に再試行してください。",
    ),
    "csrf_failed": (
        "The form expired or did not come from this console; reload the page and try again.",
        "フォームの有効期限切れか、このコンソール以外から送信されました。再読み込みしてやり直してください。",
    ),
    "range": ("Range", "期間"),
    "last_hours": ("last {h} h", "直近 {h} 時間"),
    "requests": ("Requests", "リクエスト"),
    "decisions": ("Decisions", "判定"),
    "top_categories": ("Top categories", "上位カテゴリ"),
    "by_tenant": ("By tenant", "テナント別"),
    "over_time": ("Over time (requests; blocked in red)", "推移（リクエスト数、赤はブロック）"),
    "latency": ("Latency p50 / p99", "レイテンシ p50 / p99"),
    "server_errors": ("Upstream and server errors (5xx)", "上流・サーバーエラー（5xx）"),
    "nothing": ("Nothing in this range.", "この期間には何もありません。"),
    "tenant": ("Tenant", "テナント"),
    "key_id": ("Key id", "キー ID"),
    "created": ("Created", "作成"),
    "revoked": ("Revoked", "失効"),
    "last_use": ("Last use", "最終使用"),
    "never": ("never", "未使用"),
    "active": ("active", "有効"),
    "create_key": ("Create a key", "キーを作成"),
    "create": ("Create", "作成"),
    "revoke": ("Revoke", "失効させる"),
    "new_key_once": (
        "The new key of tenant {tenant}. It is shown this once only: copy it now.",
        "テナント {tenant} の新しいキーです。表示はこの一度だけです。今コピーしてください。",
    ),
    "key_revoked": ("Key {key} revoked.", "キー {key} を失効させました。"),
    "tenant_rows": ("Tenant rows (sekimori tenants)", "テナント行（sekimori tenants）"),
    "tenant_rows_none": (
        "No tenant rows: every tenant follows the policy file. Add rows with "
        "`sekimori tenants add NAME` to set a tier, limits or suspend a tenant.",
        "テナント行はありません。すべてのテナントがポリシーファイルどおりです。"
        "`sekimori tenants add NAME` で行を追加すると、ティアや制限の設定、停止ができます。",
    ),
    "display_name": ("Display name", "表示名"),
    "tenant_limits": ("Limits (tenant / each key)", "制限（テナント / キーごと）"),
    "from_policy": ("(policy file)", "（ポリシーファイル）"),
    "suspended": ("suspended", "停止中"),
    "suspend": ("Suspend", "停止する"),
    "resume": ("Resume", "再開する"),
    "tenant_suspended": (
        "Tenant {tenant} suspended: its requests are refused within about a second.",
        "テナント {tenant} を停止しました。約1秒以内にリクエストが拒否されます。",
    ),
    "tenant_resumed": ("Tenant {tenant} is active again.", "テナント {tenant} を再開しました。"),
    "key_tenant_suspended": (
        "Tenant {tenant} is suspended: this key is refused (403 tenant_suspended) until the "
        "tenant is resumed.",
        "テナント {tenant} は停止中です。再開されるまで、このキーは拒否されます"
        "（403 tenant_suspended）。",
    ),
    "auth_off": (
        "API keys are off (--insecure-no-auth): there are no keys to manage.",
        "API キーは無効です（--insecure-no-auth）。管理するキーはありません。",
    ),
    "limits": ("Limits per key", "キーごとの制限"),
    "policy_file": ("Policy file", "ポリシーファイル"),
    "policy_builtin": (
        "No policy file: the gateway runs {source}. Start it with --policy FILE to edit here.",
        "ポリシーファイルがありません（{source} で動作中）。"
        "ここで編集するには --policy FILE で起動してください。",
    ),
    "check": ("Check", "検証"),
    "apply": ("Apply", "適用"),
    "policy_ok": ("Valid. Tenants: {tenants}.", "有効です。テナント: {tenants}"),
    "policy_applied": (
        "Applied and reloaded from {source} (as on SIGHUP).",
        "{source} から適用し再読み込みしました（SIGHUP と同じ）。",
    ),
    "policy_error": (
        "Not applied; the running policy stays.",
        "適用していません。現在のポリシーのままです。",
    ),
    "at_line": ("line {line}", "{line} 行目"),
    "key_path": ("key", "キー"),
    "try_it": ("Try it", "試す"),
    "prompt": ("Prompt", "プロンプト"),
    "answer_optional": ("Answer (optional)", "回答（任意）"),
    "model": ("Model", "モデル"),
    "decide": ("Decide", "判定する"),
    "decision": ("Decision", "判定"),
    "why": ("Why", "理由"),
    "tier": ("Tier", "階層"),
    "category": ("Category", "カテゴリ"),
    "score": ("Score", "スコア"),
    "category_tier": ("Category tier", "カテゴリの深刻度"),
    "held": ("held for the answer", "回答まで保留"),
    "on_prompt": ("On the prompt", "プロンプトに対して"),
    "on_answer": ("On the answer", "回答に対して"),
    "no_scores": (
        "This screen gives no category scores.",
        "この検査方式はカテゴリのスコアを返しません。",
    ),
    "no_try": ("This screen has no policy to try.", "この検査方式には試せるポリシーがありません。"),
    "filter": ("Filter", "絞り込み"),
    "any": ("any", "すべて"),
    "since": ("From (UTC)", "開始（UTC）"),
    "until": ("To (UTC)", "終了（UTC）"),
    "time": ("Time (UTC)", "時刻（UTC）"),
    "status": ("Status", "ステータス"),
    "categories": ("Categories", "カテゴリ"),
    "open": ("open", "開く"),
    "older": ("Older", "さらに古い記録"),
    "key_week": (
        "Key {key}: requests over the last 7 days (4 h a column; blocked in red)",
        "キー {key}: 直近 7 日間のリクエスト（1 列 4 時間、赤はブロック）",
    ),
    "newest": ("Newest", "最新へ"),
    "verify_chain": ("Verify the chain", "チェーンを検証"),
    "chain_ok": (
        "The chain verifies: {n} records, head {head}.",
        "チェーンは正常です: {n} 件、先頭ハッシュ {head}",
    ),
    "chain_bad": ("The chain does NOT verify ({n} records):", "チェーンが一致しません（{n} 件）:"),
    "export": ("Export", "エクスポート"),
    "record": ("Audit record", "監査レコード"),
    "reasons": ("Reasons", "理由"),
    "entities": (
        "Personal data found (types and counts, never values)",
        "検出した個人情報（種類と件数のみ、値は記録しません）",
    ),
    "fields": ("Fields", "項目"),
    "stages": ("Each screen's decision", "検査ごとの判定"),
    "category_scores": ("Category scores", "カテゴリのスコア"),
    "text_kept": ("Text kept", "保存したテキスト"),
    "not_found": ("No such record.", "そのレコードはありません。"),
    "bad_input": ("Bad input", "入力エラー"),
    "runs": ("Runs", "実行一覧"),
    "runs_where": (
        "Runs are read from {dir} (sekimori redteam run --out {dir}/NAME).",
        "{dir} の実行を表示します（sekimori redteam run --out {dir}/NAME）。",
    ),
    "run": ("Run", "実行"),
    "suite": ("Suite", "スイート"),
    "results": ("Results", "結果"),
    "finished": ("Finished", "完了"),
    "report": ("report", "レポート"),
    "no_runs": ("No runs yet.", "まだ実行がありません。"),
    "start_run": ("Start a run", "実行を開始"),
    "name": ("Name", "名前"),
    "target": ("Target", "対象"),
    "mutators": ("Mutators", "変換"),
    "concurrency": ("Concurrency", "並列数"),
    "sample": ("Sample (items, optional)", "サンプル数（任意）"),
    "start": ("Start", "開始"),
    "agreement": ("Grader check (labelled answers)", "採点器の検証（ラベル付き回答数）"),
    "state": ("State", "状態"),
    "asr": ("Attack success (95 % CI)", "攻撃成功率（95% 信頼区間）"),
    "over_refusal": ("Over-refusal (95 % CI)", "過剰拒否（95% 信頼区間）"),
    "state_running": ("running", "実行中"),
    "state_done": ("done", "完了"),
    "state_failed": (
        "failed (see console.log in its directory)",
        "失敗（ディレクトリの console.log を参照）",
    ),
    "state_stopped": ("stopped", "停止"),
    "target_hint": (
        "compliant: a test upstream that answers harmful probes harmfully (a measuring device); "
        "classifier: the prompt classifier alone; gateway, local, or an OpenAI-compatible URL.",
        "compliant: 有害な依頼に有害に答える試験用上流（測定器）、"
        "classifier: プロンプト分類器のみ、gateway、local、または OpenAI 互換の URL。",
    ),
    "language": ("日本語", "English"),
    "console_off": (
        "The admin console is off: set server.admin_token (or SEKIMORI_ADMIN_TOKEN), or add an "
        "account with `sekimori admin add NAME`, then restart the gateway.",
        "管理コンソールは無効です。server.admin_token（または SEKIMORI_ADMIN_TOKEN）を設定するか、"
        "`sekimori admin add NAME` でアカウントを作成し、ゲートウェイを再起動してください。",
    ),
    "login_required": ("Log in first.", "先にログインしてください。"),
}


def t(name: str, lang: str, /, **values: object) -> str:
    en, ja = TEXT[name]
    text = ja if lang == "ja" else en
    return text.format(**values) if values else text
