"""Counting, tokenizing and wrapping words."""

SENTENCE_ENDINGS = ".!?"


def tokenize(text):
    """Split text into runs of letters/digits and single punctuation marks."""
    tokens = []
    current = ""
    for char in text:
        if char.isalnum():
            current += char
            continue
        if current != "":
            tokens.append(current)
            current = ""
        if not char.isspace():
            tokens.append(char)
    if current:
        tokens.append(current)
    return tokens


def word_count(text):
    """Number of whitespace-separated words."""
    return len(text.split())


def word_frequencies(text):
    """Map each lower-cased word (punctuation stripped) to its count."""
    counts = {}
    for raw in text.split():
        word = raw.strip(".,;:!?\"'()").lower()
        if len(word) > 0:
            counts[word] = counts.get(word, 0) + 1
    return counts


def most_common(counts, n):
    """The n (word, count) pairs with the highest counts, ties alphabetical."""
    ordered = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    return ordered[:n]


def longest_word(text):
    """The first longest word, or an empty string for blank text."""
    best = ""
    for word in text.split():
        if len(word) > len(best):
            best = word
    return best


def average_word_length(text):
    """Mean word length rounded to two decimals (0.0 for blank text)."""
    words = text.split()
    if len(words) == 0:
        return 0.0
    total = sum(len(word) for word in words)
    return round(total / len(words), 2)


def sentence_count(text):
    """Count sentences, treating a run of '.', '!' or '?' as one ending."""
    count = 0
    previous_was_end = False
    for char in text:
        is_end = char in SENTENCE_ENDINGS
        if is_end and not previous_was_end:
            count += 1
        previous_was_end = is_end
    return count


def wrap(text, width):
    """Greedily wrap words into lines of at most `width` characters."""
    lines = []
    line = ""
    for word in text.split():
        if line == "":
            line = word
        elif len(line) + 1 + len(word) <= width:
            line = line + " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def count_vowels(text):
    """Number of vowels (a, e, i, o, u in either case)."""
    total = 0
    for char in text.lower():
        if char in "aeiou":
            total += 1
    return total
