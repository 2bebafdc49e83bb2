from hypothesis import given
from hypothesis import strategies as st

from classifier.model.cleaning import TextCleaner
from classifier.model.cleaning_rules import clean_text


def test_slash_does_not_glue_words():
    assert clean_text("REUTERS/Benoit Tessier") == "reuters benoit tessier"


def test_line_breaks_do_not_glue_words():
    assert clean_text("read more\n\nAn official") == "read more an official"
    assert clean_text("end of line\r\nNext\tword") == "end of line next word"


def test_quotes_and_punctuation_become_spaces():
    text = 'He said "prices rose"—sharply.It\'s (Q3/Q4) oil/gas, km/h'
    assert clean_text(text) == "he said prices rose sharply it s q3 q4 oil gas km h"


def test_numbers_keep_their_separators():
    assert clean_text("up 4.5% to 12,400 tonnes.") == "up 4.5 to 12,400 tonnes"


def test_digit_modes():
    text = "Output rose 4.5 percent to 12,400 tonnes in 2024"
    assert clean_text(text, digits="replace") == "output rose 0 percent to 0 tonnes in 0"
    assert clean_text(text, digits="remove") == "output rose percent to tonnes in"


def test_options_can_keep_case_and_punctuation():
    assert clean_text("Oil/Gas", lowercase=False, punctuation="keep") == "Oil/Gas"


def test_unicode_is_normalised_and_controls_removed():
    full_width_opec = "\uff2f\uff30\uff25\uff23"
    assert clean_text(full_width_opec + "\x03output\x00rises") == "opec output rises"


def test_cleaner_is_a_stateless_transformer():
    cleaner = TextCleaner(digits="replace")
    assert cleaner.fit_transform(["A/B 12", "x\ny"]) == ["a b 0", "x y"]
    assert cleaner.get_params()["digits"] == "replace"


@given(st.lists(st.text(alphabet=st.characters(categories=["L"]), min_size=1), min_size=1))
def test_words_joined_by_any_separator_stay_apart(words):
    """Whatever separates two words (slash, newline, quote, dash), they are not glued."""
    separators = ["/", "\n\n", '"', " - ", "\r\n", "|", "\t", "'"]
    text = "".join(w + separators[i % len(separators)] for i, w in enumerate(words))
    cleaned = clean_text(text, normalize_unicode=False).split(" ")
    expected = [w.lower() for w in words]
    # Lower-casing can expand some letters (e.g. "İ"); compare word by word.
    assert len(cleaned) >= len(words)
    assert all(e in cleaned for e in expected)


@given(st.text())
def test_cleaning_is_idempotent_and_total(text):
    once = clean_text(text)
    assert clean_text(once) == once
    assert "  " not in once
