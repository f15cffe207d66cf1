"""Labels in two languages, and fonts that draw Hangul without missing glyphs."""


import matplotlib
import matplotlib.pyplot as plt
import pytest

from aebook import i18n


def test_every_label_has_both_languages():
    for key, texts in i18n.STRINGS.items():
        assert set(texts) >= set(i18n.LANGS), key
        assert all(texts[lang].strip() for lang in i18n.LANGS), key


def test_t_follows_the_current_language():
    i18n.set_language("ko")
    assert i18n.t("encoder") == "인코더"
    assert i18n.t("encoder", "en") == "encoder"


def test_unknown_key_says_where_to_add_it():
    with pytest.raises(KeyError, match="aebook.i18n.STRINGS"):
        i18n.t("no.such.key")


def test_unknown_language_is_rejected():
    with pytest.raises(ValueError, match="lang must be one of"):
        i18n.set_language("de")


def test_register_strings_needs_both_languages_and_no_conflicts():
    with pytest.raises(ValueError, match="lacks"):
        i18n.register_strings({"x.only_en": {"en": "x"}})
    with pytest.raises(ValueError, match="already defined"):
        i18n.register_strings({"encoder": {"en": "E", "ko": "인"}})


def test_korean_font_is_shipped_and_registered():
    assert any(f.endswith("NanumGothic.ttf") for f in i18n.korean_font_files())
    assert i18n.font_rc("ko")["font.family"][0] == "NanumGothic"
    assert i18n.font_rc("en")["font.family"][0] == "DejaVu Sans"


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_label_renders_without_missing_glyphs(lang, no_missing_glyphs):
    """Draw every label of the table; matplotlib warns 'Glyph ... missing' if a font lacks one."""
    with matplotlib.rc_context(i18n.font_rc(lang)), no_missing_glyphs():
        fig, ax = plt.subplots()
        for i, key in enumerate(i18n.STRINGS):
            ax.text(0, i, i18n.t(key, lang))
        fig.canvas.draw()
        plt.close(fig)


def test_a_missing_glyph_is_detected(no_missing_glyphs):
    """The check above can fail: a character no font has fails it."""
    with pytest.raises(UserWarning, match="missing"):
        with matplotlib.rc_context(i18n.font_rc("ko")), no_missing_glyphs():
            fig, ax = plt.subplots()
            ax.text(0, 0, "\U0001D11E")  # musical G clef: in neither NanumGothic nor DejaVu Sans
            fig.canvas.draw()
    plt.close("all")
