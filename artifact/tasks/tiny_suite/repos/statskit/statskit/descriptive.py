"""Descriptive statistics for sequences of numbers."""


def mean(values):
    """Return the arithmetic mean; raise ValueError for empty data."""
    if len(values) == 0:
        raise ValueError("mean of empty data")
    return sum(values) / len(values)


def weighted_mean(values, weights):
    """Return the mean of values, each counted with the matching weight."""
    if len(values) != len(weights):
        raise ValueError("values and weights differ in length")
    total = 0
    for value, weight in zip(values, weights):
        total += value * weight
    return total / sum(weights)


def median(values):
    """Return the middle value, or the mean of the two middle values."""
    ordered = sorted(values)
    count = len(ordered)
    if count == 0:
        raise ValueError("median of empty data")
    middle = count // 2
    if count % 2 == 1:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def mode(values):
    """Return the most common value; ties go to the smallest value.

    Returns None for empty data.
    """
    counts = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    best = None
    best_count = 0
    for value in sorted(counts):
        if counts[value] > best_count:
            best = value
            best_count = counts[value]
    return best


def data_range(values):
    """Return the largest value minus the smallest (0 for empty data)."""
    if len(values) == 0:
        return 0
    return max(values) - min(values)


def _squared_deviations(values):
    """Return the sum of squared deviations from the mean."""
    average = sum(values) / len(values)
    total = 0
    for value in values:
        total += (value - average) ** 2
    return total


def variance(values):
    """Return the population variance (divides by n)."""
    if len(values) < 1:
        raise ValueError("variance needs at least one value")
    return _squared_deviations(values) / len(values)


def sample_variance(values):
    """Return the sample variance (divides by n - 1)."""
    if len(values) < 2:
        raise ValueError("sample variance needs at least two values")
    return _squared_deviations(values) / (len(values) - 1)


def percentile(values, p):
    """Return the p-th percentile (0 <= p <= 100) with linear interpolation."""
    if not 0 <= p <= 100:
        raise ValueError("percentile must lie between 0 and 100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    fraction = position - lower
    return ordered[lower] + (ordered[upper] - ordered[lower]) * fraction


def interquartile_range(values):
    """Return the distance between the 75th and the 25th percentile."""
    return percentile(values, 75) - percentile(values, 25)
