from textkit.words import (
    average_word_length,
    count_vowels,
    longest_word,
    most_common,
    sentence_count,
    tokenize,
    word_count,
    word_frequencies,
    wrap,
)


def test_tokenize_words_and_punctuation():
    assert tokenize("Hello, world!") == ["Hello", ",", "world", "!"]
    assert tokenize("x1 y2.") == ["x1", "y2", "."]


def test_tokenize_spaces_and_empty():
    assert tokenize("a   b") == ["a", "b"]
    assert tokenize("") == []


def test_word_count():
    assert word_count("one two  three") == 3


def test_word_count_blank():
    assert word_count("") == 0
    assert word_count("   ") == 0


def test_word_frequencies_ignores_case_and_punctuation():
    assert word_frequencies("The cat, the hat.") == {"the": 2, "cat": 1, "hat": 1}


def test_word_frequencies_skips_bare_punctuation():
    assert word_frequencies("! x ?") == {"x": 1}


def test_most_common_orders_by_count_then_word():
    counts = {"b": 1, "c": 3, "a": 3}
    assert most_common(counts, 2) == [("a", 3), ("c", 3)]


def test_most_common_limits():
    counts = {"b": 1, "a": 2}
    assert most_common(counts, 0) == []
    assert most_common(counts, 5) == [("a", 2), ("b", 1)]


def test_longest_word_keeps_first():
    assert longest_word("a bbb cc ddd") == "bbb"


def test_longest_word_blank():
    assert longest_word("") == ""
    assert longest_word("  x ") == "x"


def test_average_word_length():
    assert average_word_length("ab abcd") == 3.0
    assert average_word_length("a bb bb") == 1.67


def test_average_word_length_blank():
    assert average_word_length("") == 0.0


def test_sentence_count():
    assert sentence_count("Hi. Bye!") == 2
    assert sentence_count("no ending") == 0


def test_sentence_count_repeated_marks():
    assert sentence_count("Wait... what?!") == 2
    assert sentence_count("!") == 1


def test_wrap_fills_lines():
    assert wrap("the quick brown fox", 10) == ["the quick", "brown fox"]
    assert wrap("ab cd ef", 5) == ["ab cd", "ef"]


def test_wrap_edge_cases():
    assert wrap("ab cde", 5) == ["ab", "cde"]
    assert wrap("abcdefgh xy", 4) == ["abcdefgh", "xy"]
    assert wrap("", 5) == []


def test_count_vowels():
    assert count_vowels("Education") == 5
    assert count_vowels("AEIOU xyz") == 5


def test_count_vowels_none():
    assert count_vowels("rhythm") == 0
