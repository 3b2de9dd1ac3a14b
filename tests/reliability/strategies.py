"""Hypothesis strategies for adversarial Japanese and Unicode text, shared by the fuzz tests."""

from __future__ import annotations

from hypothesis import strategies as st

HIRAGANA = st.characters(min_codepoint=0x3041, max_codepoint=0x3096)
KATAKANA = st.characters(min_codepoint=0x30A1, max_codepoint=0x30FA)
HALFWIDTH_KANA = st.characters(min_codepoint=0xFF66, max_codepoint=0xFF9F)
KANJI = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
FULLWIDTH_ASCII = st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E)
INVISIBLE = st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e"])
BIDI = st.sampled_from(["\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
                        "\u2066", "\u2067", "\u2068", "\u2069", "\u061c"])
CONTROL = st.characters(min_codepoint=0x00, max_codepoint=0x1F) | st.characters(min_codepoint=0x7F, max_codepoint=0x9F)
COMBINING = st.characters(min_codepoint=0x0300, max_codepoint=0x036F)
EMOJI = st.sampled_from(["😢", "🙏", "👨‍👩‍👧", "🏳️‍🌈", "👍🏽", "🇯🇵", "❤️", "🆘", "\U0001F9D1\u200D\U0001F9AF", "⚠"])
VARIATION = st.sampled_from(["\ufe0e", "\ufe0f", "\U000E0100"])
PUNCT = st.sampled_from(list("。、！？…・「」（）〜ー～ 　\n\t\r") + ["\u2028", "\u2029"])
WORDS = st.sampled_from(["介護", "母", "ひきこもり", "仕事", "お金", "子育て", "障害", "相談", "学校", "家賃",
                         "ｹｱﾏﾈ", "オカン", "ばあちゃん", "しにたい", "死にたいとは思わない", "虐待防止の講座",
                         "住民票", "粗大ごみ", "天気", "19歳", "80代の母", "妊娠中", "DV", "殴られ", "リスカ"])

# Any code point Python can hold, lone surrogates and private use included.
ANY_CHAR = st.characters(codec=None, exclude_categories=())
JAPANESE_CHAR = HIRAGANA | KATAKANA | HALFWIDTH_KANA | KANJI | FULLWIDTH_ASCII
NASTY_CHAR = INVISIBLE | BIDI | CONTROL | COMBINING | EMOJI | VARIATION | PUNCT

adversarial_text = st.lists(
    st.one_of(JAPANESE_CHAR, NASTY_CHAR, WORDS, ANY_CHAR), max_size=300,
).map("".join)


def huge_texts() -> list[str]:
    """100 kB messages of several kinds: Japanese, emoji, invisible, combining, control, one long line."""
    kb = 100_000
    return [
        ("母の介護がつらいです。" * (kb // 11 + 1))[:kb],
        "😢" * (kb // 4),
        "\u200b" * kb,
        "a" + "\u0301" * kb,
        "".join(chr(c % 0x20) for c in range(kb)),
        "ああ" * (kb // 2),
        "\u202e" + "介護" * (kb // 2),
        "助けて" * (kb // 3) + "死にたい",
    ]
