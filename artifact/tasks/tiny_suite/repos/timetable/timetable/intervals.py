"""Half-open time intervals.

An interval is a tuple ``(start, end)`` of minutes with ``start <= end``;
it covers every minute ``t`` with ``start <= t < end``.
"""


def overlaps(first, second):
    """Return True if the two intervals share at least one minute."""
    return first[0] < second[1] and second[0] < first[1]


def intersection(first, second):
    """Return the common part of two intervals, or None if they are disjoint."""
    start = max(first[0], second[0])
    end = min(first[1], second[1])
    if start >= end:
        return None
    return (start, end)


def merge_intervals(intervals):
    """Merge overlapping or touching intervals into a sorted list."""
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            last_start, last_end = merged[-1]
            merged[-1] = (last_start, max(last_end, end))
        else:
            merged.append((start, end))
    return merged


def total_duration(intervals):
    """Return the number of minutes covered, counting overlaps only once."""
    total = 0
    for start, end in merge_intervals(intervals):
        total += end - start
    return total


def find_gaps(intervals, day_start, day_end):
    """Return the free intervals between day_start and day_end."""
    gaps = []
    cursor = day_start
    for start, end in sorted(intervals):
        if start >= day_end:
            break
        if start > cursor:
            gaps.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < day_end:
        gaps.append((cursor, day_end))
    return gaps


def first_fit(intervals, day_start, day_end, length):
    """Return the earliest start of a free gap of at least length minutes.

    Returns None if no gap between day_start and day_end is long enough.
    """
    for start, end in find_gaps(intervals, day_start, day_end):
        if end - start >= length:
            return start
    return None


def split_interval(interval, length):
    """Split an interval into consecutive slots of length minutes.

    A shorter remainder at the end is dropped.
    """
    start, end = interval
    count = (end - start) // length
    return [(start + i * length, start + (i + 1) * length) for i in range(count)]
