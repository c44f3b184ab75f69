from textkit.case import (
    camel_to_snake,
    center,
    initials,
    is_palindrome,
    pad_left,
    pad_right,
    slugify,
    snake_to_camel,
    title_case,
    truncate,
)


def test_slugify_basic():
    assert slugify("Hello, World!") == "hello-world"
    assert slugify("  Many   spaces  ") == "many-spaces"


def test_slugify_max_length():
    assert slugify("abc def ghi", 7) == "abc-def"
    assert slugify("abc def", 4) == "abc"
    assert slugify("a" * 45) == "a" * 40


def test_snake_to_camel():
    assert snake_to_camel("hello_big_world") == "helloBigWorld"
    assert snake_to_camel("Already") == "already"


def test_snake_to_camel_upper_first_and_empty():
    assert snake_to_camel("hello_world", True) == "HelloWorld"
    assert snake_to_camel("__") == ""


def test_camel_to_snake():
    assert camel_to_snake("helloBigWorld") == "hello_big_world"
    assert camel_to_snake("x") == "x"
    assert camel_to_snake("aB") == "a_b"


def test_camel_to_snake_pascal():
    assert camel_to_snake("PascalCase") == "pascal_case"


def test_title_case_minor_words():
    assert title_case("the lord of the rings") == "The Lord of the Rings"


def test_title_case_mixed_input():
    assert title_case("A TALE in time") == "A Tale in Time"


def test_pad_left():
    assert pad_left("7", 3, "0") == "007"
    assert pad_left("7", 2, "0") == "07"


def test_pad_left_no_room():
    assert pad_left("abc", 3) == "abc"
    assert pad_left("abcd", 2) == "abcd"


def test_pad_right():
    assert pad_right("ab", 3, ".") == "ab."
    assert pad_right("ab", 5) == "ab   "


def test_pad_right_no_room():
    assert pad_right("abcd", 2) == "abcd"


def test_center_even_and_odd():
    assert center("ab", 5, "*") == "*ab**"
    assert center("abc", 5) == " abc "


def test_center_small_widths():
    assert center("ab", 3, "*") == "ab*"
    assert center("abcdef", 3) == "abcdef"


def test_truncate_long_text():
    assert truncate("hello world", 8) == "hello..."
    assert truncate("hello", 3) == "..."


def test_truncate_short_text_and_tiny_limit():
    assert truncate("hello", 5) == "hello"
    assert truncate("hello", 2) == "he"


def test_initials():
    assert initials("Ada Lovelace") == "AL"
    assert initials("grace brewster hopper") == "GBH"


def test_initials_empty():
    assert initials("") == ""


def test_is_palindrome_true():
    assert is_palindrome("A man, a plan, a canal: Panama") is True
    assert is_palindrome("") is True


def test_is_palindrome_false():
    assert is_palindrome("abca") is False
    assert is_palindrome("ab") is False
