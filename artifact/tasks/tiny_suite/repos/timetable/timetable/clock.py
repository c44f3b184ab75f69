"""Time-of-day helpers.

A time of day is an integer counting minutes since midnight (0 to 1439).
"""


def is_valid_time(hours, minutes):
    """Return True if hours and minutes form a valid 24-hour time of day."""
    return 0 <= hours < 24 and 0 <= minutes < 60


def parse_time(text):
    """Parse an "HH:MM" string into minutes since midnight.

    Raises ValueError if the text is malformed or out of range.
    """
    parts = text.strip().split(":")
    if len(parts) != 2:
        raise ValueError("expected HH:MM, got %r" % text)
    hours = int(parts[0])
    minutes = int(parts[1])
    if not is_valid_time(hours, minutes):
        raise ValueError("time out of range: %r" % text)
    return hours * 60 + minutes


def format_time(time):
    """Format minutes since midnight as a zero-padded "HH:MM" string."""
    hours, minutes = divmod(time % 1440, 60)
    return "%02d:%02d" % (hours, minutes)


def to_12_hour(time):
    """Format a time of day in 12-hour style, e.g. "1:05 PM"."""
    hours, minutes = divmod(time, 60)
    suffix = "AM" if hours < 12 else "PM"
    display = hours % 12
    if display == 0:
        display = 12
    return "%d:%02d %s" % (display, minutes, suffix)


def minutes_until(start, end):
    """Return the minutes from start forward to end, wrapping past midnight."""
    difference = end - start
    if difference < 0:
        difference += 1440
    return difference


def is_between(time, start, end):
    """Return True if start <= time < end.

    The range may wrap past midnight, for example from 22:00 to 06:00.
    """
    if start <= end:
        return start <= time < end
    return time >= start or time < end


def round_up(time, step):
    """Round a time up to the next multiple of step minutes."""
    remainder = time % step
    if remainder == 0:
        return time
    return time + step - remainder
