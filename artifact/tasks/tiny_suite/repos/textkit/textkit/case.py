"""Slugs, case conversion, padding and truncation."""

MINOR_WORDS = ("a", "an", "and", "of", "the", "to", "in")


def slugify(text, max_length=40):
    """Lower-case text joined with single hyphens, at most max_length chars."""
    parts = []
    current = ""
    for char in text.lower():
        if char.isalnum():
            current += char
        elif current:
            parts.append(current)
            current = ""
    if current:
        parts.append(current)
    slug = "-".join(parts)
    return slug[:max_length].rstrip("-")


def snake_to_camel(name, upper_first=False):
    """Convert snake_case to camelCase (or PascalCase with upper_first)."""
    parts = [part for part in name.split("_") if part]
    if len(parts) == 0:
        return ""
    head = parts[0].capitalize() if upper_first else parts[0].lower()
    return head + "".join(part.capitalize() for part in parts[1:])


def camel_to_snake(name):
    """Convert camelCase or PascalCase to snake_case."""
    result = ""
    for index, char in enumerate(name):
        if char.isupper() and index > 0:
            result += "_"
        result += char.lower()
    return result


def title_case(text):
    """Capitalize words, keeping minor words lower-case except the first."""
    words = text.lower().split()
    titled = []
    for index, word in enumerate(words):
        if index != 0 and word in MINOR_WORDS:
            titled.append(word)
        else:
            titled.append(word.capitalize())
    return " ".join(titled)


def pad_left(text, width, fill=" "):
    """Right-align text in a field of `width` characters."""
    missing = width - len(text)
    if missing <= 0:
        return text
    return fill * missing + text


def pad_right(text, width, fill=" "):
    """Left-align text in a field of `width` characters."""
    missing = width - len(text)
    if missing > 0:
        return text + fill * missing
    return text


def center(text, width, fill=" "):
    """Center text; an odd leftover space goes to the right side."""
    missing = width - len(text)
    if missing < 1:
        return text
    left = missing // 2
    right = missing - left
    return fill * left + text + fill * right


def truncate(text, limit, ellipsis="..."):
    """Shorten text to at most `limit` characters, ending with an ellipsis."""
    if len(text) <= limit:
        return text
    if limit < len(ellipsis):
        return text[:limit]
    keep = limit - len(ellipsis)
    return text[:keep] + ellipsis


def initials(name):
    """Upper-case initials of each part of a name, e.g. 'Ada Lovelace' -> 'AL'."""
    letters = ""
    for part in name.split():
        letters += part[0].upper()
    return letters


def is_palindrome(text):
    """True when the letters and digits read the same both ways, ignoring case."""
    cleaned = [char.lower() for char in text if char.isalnum()]
    half = len(cleaned) // 2
    for index in range(half):
        if cleaned[index] != cleaned[len(cleaned) - 1 - index]:
            return False
    return True
