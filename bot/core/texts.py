"""Every sentence the bot says to a resident, in one place (やさしい日本語: short, kind, one point each).

Handlers never write Japanese inline; they pick a text here and fill in the blanks with
``str.format``. Button labels are ≤ 20 characters (LINE quick replies). The consent texts carry a
version: a receipt records which version the person agreed to, so changing a consent text means
changing its version too (tests/core/test_texts.py pins the hash).
"""

from __future__ import annotations

import hashlib

# --- greeting and help ------------------------------------------------------------------------
GREETING = (
    "こんにちは。富士市の「思いやりスクラムサポート」の相談案内です。\n"
    "こまっていることを、自由に書いてください。ふさわしい窓口をご案内します。"
)
HELP = (
    "使い方です。\n"
    "・こまっていることを、そのまま書いてください。\n"
    "・「状況」: 相談の受付状況を見ます。\n"
    "・「取り消し」: 同意を取り消して、あなたのデータを消します。\n"
    "・「最初から」: はじめからやり直します。\n"
    "・「匿名」: 名前や電話番号なしで相談します。\n"
    "命にかかわるときは、すぐに119番か110番に電話してください。"
)
ASK_INQUIRY = "どんなことでこまっていますか。自由に書いてください。"
RESTARTED = "はじめからやり直します。入力中の内容は消しました。"
INTAKE_INTERRUPTED = "入力中の相談票はいったん消しました。新しいご相談をご案内します。"
INTAKE_STOPPED = "送るのをやめました。入力した内容は消しました。"
NOT_UNDERSTOOD_CHOICE = "下のボタンから選んでください。"
ANONYMOUS_ON = "匿名で相談できます。名前と電話番号はいりません。お返事はこのチャットでします。"
TIMED_OUT = "しばらく入力がなかったので、入力中の内容は消しました。もう一度お書きください。"
SORRY_TRY_AGAIN = "すみません、うまく処理できませんでした。少し時間をおいて、もう一度お試しください。"
NON_TEXT = "すみません、文字のメッセージだけ読めます。"
RATE_LIMITED = "メッセージが続いています。少し待ってから、もう一度送ってください。"   # bot/ratelimit.py

# --- referral ---------------------------------------------------------------------------------
ROUTE_LEAD = "ご相談の窓口はこちらです。"
CARD_PHONE = "電話番号: {phone}"
CARD_PHONE_LINE = "{label}: {phone}"
CARD_HOURS = "受付時間"
CARD_OPEN_NOW = "いま受付中です（{until}まで）"
CARD_OPEN_ALWAYS = "24時間受け付けています"
CARD_NEXT_OPEN = "いまは受付時間外です。次は{when}からです"
CARD_ADDRESS = "住所"
CARD_ANONYMOUS = "匿名の相談"
CARD_ANONYMOUS_YES = "できます"
CARD_ANONYMOUS_NO = "名前をうかがいます"
CARD_WHAT = "相談できること"
CARD_TEL = "電話"
CARD_MAP = "地図"
CARD_FALLBACK_NOTE = "くわしい連絡先は、{desk}がご案内します。"
CARD_SITES_NOTE = "地区ごとに窓口があります。「もっと詳しく」で見られます。"
PHONE_ONLY = "{name}の電話番号です。\n{phones}"
PHONE_NONE = "{name}の電話番号は確認中です。{desk}（{phone}）におたずねください。"
MORE_DETAILS = "{name}\n{body}"
MORE_SITES = "窓口の一覧です。"
MORE_FOR_WHOM = "対象: {text}"
OTHER_INQUIRY = "ほかのご相談ですね。どんなことでこまっていますか。"
CLARIFY = "もう少し教えてください。近いものを選んでください。"
CLARIFY_NONE_FIT = "わかりました。こまっていることを、もう少しくわしく書いてください。"
MULTI_LEAD = "いくつかの窓口が関係しそうです。"
MULTI_LINE = "・{name}: {phone}"
MULTI_OFFER = (
    "ひとつの相談票にまとめて、窓口どうしで連携して対応することもできます（多機関協働）。"
)
OUT_OF_SCOPE = (
    "すみません。このご相談は、ここでは案内できません。\n"
    "市役所の窓口でおたずねください。"
)
# Thanks or a goodbye and nothing else (ありがとうございました、また連絡します): no need, no decline.
NO_NEED = "どういたしまして。また こまったことがあれば、いつでも 書いてください。"
COORDINATOR_FALLBACK = "市の福祉の担当課"
# A message written in English (bot/routing/english.py): one plain English note before the answer.
# It promises nothing about the desk's languages: it says the answer is in Japanese, and how to use it.
ENGLISH_NOTE = (
    "Thank you for your message. We read it in English. "
    "The answer below is in Japanese: the place that can help you, and its phone number. "
    "You can show it to someone who reads Japanese."
)

# --- crisis -----------------------------------------------------------------------------------
CRISIS_LEAD = "あなたのことが心配です。いますぐ話せる窓口があります。"
CRISIS_LINE = "・{name}: {phone}（{hours}）"
CRISIS_LINE_NO_HOURS = "・{name}: {phone}"
CRISIS_EMERGENCY = "命にかかわるときは、すぐに119番か110番に電話してください。"
CRISIS_OFFER = "市の担当者から連絡をすることもできます。どうしますか。"
# With an answer, when the router saw some sign of a crisis but not enough to answer with the crisis
# lines first (RoutingResult.care): the same verified lines, offered gently, in one message of their own.
CARE_LEAD = "もし、いま心や体があぶないと感じたら、すぐに話せる窓口もあります。"
# ... and in place of the decline (OUT_OF_SCOPE) when the message was not read as a welfare matter:
# no inquiry is turned away while there is some sign of a crisis.
CARE_SAY_MORE = "よければ、こまっていることを、もう少し書いてください。"
CRISIS_EMERGENCY_ENGLISH = "If your life or safety is in danger now, call 119 (ambulance) or 110 (police)."

# --- the menu (LINE rich menu 相談する / 窓口を探す / 状況確認 / 緊急のとき; the same words may be typed) ---
MENU_CONSULT = (
    "ご相談ですね。どんなことでこまっていますか。自由に書いてください。\n"
    "下から、近い分野を選ぶこともできます。"
)
FIND_LEAD = "どの分野の窓口をさがしますか。"
FIND_DESKS = "「{field}」の窓口です。選ぶと、連絡先が出ます。"
FIND_DESK_LINE = "・{name}"
FIND_NONE = "すみません。この分野の窓口は、いま案内できません。ほかの分野を選んでください。"
EMERGENCY_LEAD = "いますぐ電話できる窓口です。"
# The fields a resident can pick (key → label ≤ 20 chars); bot/handlers/menu.py says which desks each lists.
FIND_FIELD_LABELS = {
    "elderly": "高齢・介護",
    "disability": "障害",
    "child": "子育て・妊娠",
    "living": "生活・お金・仕事",
    "youth": "若者",
    "community": "地域の活動",
}
# 地域の活動 lists the desks of the plan's 地域づくりに向けた支援 (社会福祉法第106条の4第2項第3号).
FIND_COMMUNITY_BASIS = "第106条の4第2項第3号"

# --- consented intake -------------------------------------------------------------------------
CONSENT_TEXT_VERSION = "intake-2026-11-27.2"
CONSENT_EXPLAIN = (
    "担当者から連絡するために、ご相談の内容を市に送ります。\n"
    "・送るもの: 相談の内容、連絡先、呼び名（書いたときだけ）\n"
    "・送り先: {desks}\n"
    "・見る人: 送り先の担当職員と、{coordinator}で窓口をつなぐ担当職員だけです\n"
    "・保管: 相談が終わってから{retention_days}日で消します\n"
    "・「取り消し」と送ると、いつでも同意をやめて、データを消せます\n"
    "送ってもよいですか。"
)
CONSENT_REFUSED = "わかりました。何も送っていません。窓口へは、電話でも相談できます。"
ASK_ABOUT = "どなたのことですか。"
ASK_SUMMARY = "こまっていることを、あなたの言葉で短く書いてください。"
SUMMARY_TOO_LONG = "少し長いので、{limit}文字までで書いてください。"
SUMMARY_EMPTY = "こまっていることを、ひとことでもよいので書いてください。"
ASK_CONTACT = "どうやって連絡をしたらよいですか。"
ASK_CONTACT_ANON = "匿名のご相談なので、このチャットでお返事します。お返事はいりますか。"
ASK_PHONE = "電話番号を書いてください（例: 0545-12-3456）。"
PHONE_INVALID = "電話番号の形が正しくないようです。もう一度書いてください（例: 090-1234-5678）。"
ASK_TIMES = "連絡してよい時間帯があれば、書いてください（例: 平日の午前）。"
ASK_NAME = "お名前（呼び名でも大丈夫です）を書いてください。書かなくてもかまいません。"
MEETING_CONSENT_TEXT_VERSION = "meeting-share-2026-11-27"
MEETING_CONSENT = (
    "もうひとつ、お聞きします。\n"
    "いくつかの窓口で力を合わせる必要があるとき、市の「重層的支援会議」のメンバー（市の担当課や"
    "相談機関）で、このご相談の情報を共有してもよいですか。\n"
    "同意しなくても、相談は受け付けます。"
)
PREVIEW = "この内容で送ります。よろしいですか。"
PREVIEW_ABOUT = "どなたのこと"
PREVIEW_SUMMARY = "相談の内容"
PREVIEW_CONTACT = "連絡の方法"
PREVIEW_TIMES = "連絡してよい時間"
PREVIEW_NAME = "お名前"
PREVIEW_DESKS = "送り先"
PREVIEW_MEETING = "重層的支援会議での共有"
PREVIEW_ANON = "匿名"
PREVIEW_EMPTY = "（なし）"
ASK_EDIT = "どこを直しますか。"
FILED = (
    "受け付けました。受付番号は {ref} です。\n"
    "この番号を、窓口とのやりとりで使います。"
)
FILED_PHONE = "担当者から、お電話で連絡します。"
FILED_CHAT = "担当者から、このチャットでお返事します。"
FILED_NONE = "連絡はしません。窓口に行くときや電話のときに、受付番号を伝えてください。"
FILED_STATUS_HINT = "受付の状況は「状況」と送ると見られます。"
FILE_FAILED = "すみません、いま受け付けられませんでした。入力した内容はそのまま残っています。少しあとで「送る」を押してください。"

CONTACT_PHONE_LABEL = "電話"
CONTACT_CHAT_LABEL = "このチャット"
CONTACT_NONE_LABEL = "連絡はいらない"
ABOUT_LABELS = {"self": "本人", "family": "家族", "neighbour": "知人・近所"}

# --- status and withdrawal --------------------------------------------------------------------
STATUS_NONE = "いま受け付けているご相談はありません。"
STATUS_LINE = "・{ref}（{date}）: {status}"
STATUS_LEAD = "ご相談の受付状況です。"
WITHDRAW_CONFIRM = (
    "同意を取り消して、あなたの相談の内容と連絡先をすべて消します。\n"
    "消したものはもどせません。よろしいですか。"
)
WITHDRAW_DONE = "取り消しました。あなたのデータを消しました（相談票 {count}件）。"
WITHDRAW_NOTHING = "取り消しました。消すデータはありませんでした。"
WITHDRAW_KEPT = "取り消しはやめました。"

# --- staff messages (the push says only 「お知らせがあります」; the text is shown here, in the chat) ---
STAFF_MESSAGES_LEAD = "担当者からのメッセージです。"
STAFF_MESSAGE = "{body}"
NO_STAFF_MESSAGES = "新しいお知らせはありません。"
WORDS_READ = frozenset({"読む", "よむ"})

# --- staff handoff ----------------------------------------------------------------------------
HANDOFF_CRISIS_NOTE = "担当者にも、このメッセージは届いています。"

# --- labels (≤ 20 characters) -----------------------------------------------------------------
L_PHONE = "電話番号"
L_MORE = "もっと詳しく"
L_OTHER = "ほかの相談"
L_CONTACT_ME = "担当者から連絡がほしい"
L_AGREE = "同意する"
L_STOP = "やめる"
L_MEETING_YES = "共有に同意する"
L_MEETING_NO = "同意しない"
L_SEND = "送る"
L_EDIT = "直す"
L_SKIP = "書かない"
L_NONE_FIT = "どれでもない"
L_JOINT = "まとめて相談したい"
L_STATUS = "状況"
L_WITHDRAW = "取り消し"
L_WITHDRAW_YES = "消す"
L_WITHDRAW_NO = "消さない"
L_RESTART = "最初から"
L_HELP = "使い方"
L_ANONYMOUS = "匿名で相談"
L_MENU_CONSULT = "相談する"
L_MENU_FIND = "窓口を探す"
L_MENU_STATUS = "状況確認"
L_MENU_EMERGENCY = "緊急のとき"
L_EDIT_FIELDS = {
    "about": "どなたのこと",
    "summary": "相談の内容",
    "contact": "連絡の方法",
    "times": "連絡してよい時間",
    "name": "お名前",
    "meeting": "会議での共有",
}

# --- commands a resident may type at any step (normalised: NFKC, no spaces or punctuation) ----
WORDS_STATUS = frozenset({"状況", "じょうきょう", "受付状況", "状況確認", "status"})
WORDS_MENU_CONSULT = frozenset({"相談する"})              # the rich menu's labels, typed
WORDS_MENU_FIND = frozenset({"窓口を探す", "窓口をさがす"})
WORDS_MENU_EMERGENCY = frozenset({"緊急のとき", "緊急の時"})
WORDS_WITHDRAW = frozenset({"取り消し", "取消", "取消し", "とりけし", "取り消す", "同意撤回", "データ削除", "withdraw"})
WORDS_RESTART = frozenset({"最初から", "さいしょから", "はじめから", "リセット", "restart"})
WORDS_START = frozenset({"/start", "start"})          # Telegram's Start button: a greeting
WORDS_HELP = frozenset({"ヘルプ", "使い方", "つかいかた", "help", "/help", "メニュー"})
WORDS_ANONYMOUS = frozenset({"匿名", "とくめい", "匿名で", "匿名希望", "匿名で相談", "名前は言いたくない"})
WORDS_GREETING = frozenset({"こんにちは", "こんばんは", "おはようございます", "はじめまして", "はい", "hello", "hi"})
WORDS_YES = frozenset({"同意する", "同意します", "同意", "はい", "いいです", "大丈夫です", "ok", "送る", "送ります"})
WORDS_NO = frozenset({"やめる", "やめます", "いいえ", "同意しない", "しない", "no"})
WORDS_CONTACT_CHAT = frozenset({"チャット", "チャットで", "このチャットで", "ここで", "ライン", "line"})
WORDS_SKIP = frozenset({"書かない", "なし", "ない", "特になし", "とくになし", "スキップ", "いつでも", "skip"})


def consent_sha256(template: str) -> str:
    """The hash a consent receipt records, so the exact wording can be proven later."""
    return hashlib.sha256(template.encode("utf-8")).hexdigest()
