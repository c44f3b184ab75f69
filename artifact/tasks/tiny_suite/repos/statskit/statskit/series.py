"""Helpers for sequences of measurements: totals, smoothing and scaling."""


def running_total(values):
    """Return the cumulative sums of values."""
    totals = []
    total = 0
    for value in values:
        total += value
        totals.append(total)
    return totals


def differences(values):
    """Return the differences between consecutive values."""
    return [values[i + 1] - values[i] for i in range(len(values) - 1)]


def moving_average(values, window):
    """Return the mean of every full window of consecutive values."""
    if window < 1:
        raise ValueError("window must be at least 1")
    averages = []
    for start in range(len(values) - window + 1):
        averages.append(sum(values[start:start + window]) / window)
    return averages


def clamp(value, low, high):
    """Limit value to the closed range [low, high]."""
    if value < low:
        return low
    if value > high:
        return high
    return value


def clamp_all(values, low, high):
    """Clamp every value to the closed range [low, high]."""
    return [clamp(value, low, high) for value in values]


def rescale(value, low, high, new_low, new_high):
    """Map value linearly from the range [low, high] onto [new_low, new_high]."""
    return new_low + (value - low) * (new_high - new_low) / (high - low)


def normalise(values):
    """Scale values linearly onto [0, 1]; constant data maps to zeros."""
    low = min(values)
    high = max(values)
    if high == low:
        return [0.0] * len(values)
    return [rescale(value, low, high, 0, 1) for value in values]


def bin_edges(low, high, bins):
    """Return the bins + 1 edges of equal-width bins covering [low, high]."""
    width = (high - low) / bins
    return [low + i * width for i in range(bins + 1)]


def histogram(values, low, high, bins):
    """Count values into equal-width bins covering [low, high].

    A value equal to high falls into the last bin; values outside the
    range are ignored.
    """
    counts = [0] * bins
    width = (high - low) / bins
    for value in values:
        if value < low or value > high:
            continue
        index = int((value - low) / width)
        counts[min(index, bins - 1)] += 1
    return counts


def argmax(values):
    """Return the index of the first largest value, or None if empty."""
    best = None
    for index in range(len(values)):
        if best is None or values[index] > values[best]:
            best = index
    return best
