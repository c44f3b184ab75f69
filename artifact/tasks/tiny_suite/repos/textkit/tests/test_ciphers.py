import pytest

from textkit.ciphers import (
    atbash,
    caesar_decrypt,
    caesar_encrypt,
    hamming_distance,
    rle_decode,
    rle_encode,
    rot13,
    shift_char,
)


def test_shift_char_lowercase():
    assert shift_char("a", 3) == "d"
    assert shift_char("z", 1) == "a"


def test_shift_char_uppercase_and_other():
    assert shift_char("Z", 1) == "A"
    assert shift_char("A", -1) == "Z"
    assert shift_char("!", 5) == "!"


def test_caesar_encrypt():
    assert caesar_encrypt("Hello, World", 3) == "Khoor, Zruog"


def test_caesar_encrypt_wraps():
    assert caesar_encrypt("xyz", 2) == "zab"


def test_caesar_decrypt():
    assert caesar_decrypt("Khoor, Zruog!", 3) == "Hello, World!"


def test_caesar_decrypt_large_shift():
    assert caesar_decrypt("ABC", 29) == "XYZ"
    assert caesar_decrypt("abc", 26) == "abc"


def test_rot13_letters():
    assert rot13("Hello") == "Uryyb"
    assert rot13("azAZ") == "nmNM"


def test_rot13_leaves_neighbours_alone():
    assert rot13("`{@[ 1") == "`{@[ 1"


def test_atbash():
    assert atbash("abc") == "zyx"
    assert atbash("Hello!") == "Svool!"


def test_atbash_non_ascii():
    assert atbash("é") == "é"


def test_rle_encode():
    assert rle_encode("aaabcc") == "3a1b2c"
    assert rle_encode("x") == "1x"


def test_rle_encode_long_run_and_empty():
    assert rle_encode("a" * 12) == "12a"
    assert rle_encode("") == ""


def test_rle_decode():
    assert rle_decode("3a1b2c") == "aaabcc"
    assert rle_decode("12x") == "x" * 12


def test_rle_decode_empty():
    assert rle_decode("") == ""


def test_hamming_distance():
    assert hamming_distance("karolin", "kathrin") == 3
    assert hamming_distance("abc", "abc") == 0


def test_hamming_distance_unequal_lengths():
    with pytest.raises(ValueError):
        hamming_distance("abc", "ab")
