"""Toy ciphers and run-length encoding."""

ALPHABET_SIZE = 26
LOWERCASE = "abcdefghijklmnopqrstuvwxyz"


def shift_char(char, shift):
    """Shift one ASCII letter around the alphabet, keeping its case."""
    if "a" <= char <= "z":
        base = ord("a")
    elif "A" <= char <= "Z":
        base = ord("A")
    else:
        return char
    offset = (ord(char) - base + shift) % ALPHABET_SIZE
    return chr(base + offset)


def caesar_encrypt(text, shift):
    """Shift every letter of text forward by `shift` places."""
    return "".join(shift_char(char, shift) for char in text)


def caesar_decrypt(text, shift):
    """Undo caesar_encrypt with the same shift, using a translation table."""
    back = shift % ALPHABET_SIZE
    lower = LOWERCASE[-back:] + LOWERCASE[:-back]
    upper = lower.upper()
    table = str.maketrans(LOWERCASE + LOWERCASE.upper(), lower + upper)
    return text.translate(table)


def rot13(text):
    """Rotate lower-case and upper-case letters by 13 places."""
    result = []
    for char in text:
        code = ord(char)
        if 97 <= code <= 122:
            code = (code - 97 + 13) % 26 + 97
        elif 65 <= code <= 90:
            code = (code - 65 + 13) % 26 + 65
        result.append(chr(code))
    return "".join(result)


def atbash(text):
    """Mirror letters in the alphabet: a <-> z, b <-> y, keeping case."""
    result = ""
    for char in text:
        if char.islower() and char.isascii():
            result += chr(ord("z") - (ord(char) - ord("a")))
        elif char.isupper() and char.isascii():
            result += chr(ord("Z") - (ord(char) - ord("A")))
        else:
            result += char
    return result


def rle_encode(text):
    """Run-length encode text as count+char pairs, e.g. 'aaab' -> '3a1b'."""
    if text == "":
        return ""
    pieces = []
    run_char = text[0]
    run_length = 1
    for char in text[1:]:
        if char == run_char:
            run_length += 1
        else:
            pieces.append(f"{run_length}{run_char}")
            run_char = char
            run_length = 1
    pieces.append(f"{run_length}{run_char}")
    return "".join(pieces)


def rle_decode(encoded):
    """Invert rle_encode; counts may have several digits."""
    result = ""
    digits = ""
    for char in encoded:
        if char.isdigit():
            digits += char
        else:
            result += char * int(digits)
            digits = ""
    return result


def hamming_distance(first, second):
    """Number of positions where two equal-length strings differ."""
    if len(first) != len(second):
        raise ValueError("strings must have equal length")
    distance = 0
    for index in range(len(first)):
        if first[index] != second[index]:
            distance += 1
    return distance
