import pytest

from statskit.descriptive import (
    data_range,
    interquartile_range,
    mean,
    median,
    mode,
    percentile,
    sample_variance,
    variance,
    weighted_mean,
)


def test_mean_of_numbers():
    assert mean([1, 2, 3, 4]) == 2.5
    assert mean([-2, 2]) == 0.0
    assert mean([7]) == 7.0


def test_mean_of_empty_data_raises():
    with pytest.raises(ValueError):
        mean([])


def test_weighted_mean_of_numbers():
    assert weighted_mean([10, 20], [1, 3]) == 17.5
    assert round(weighted_mean([1, 2, 3], [3, 2, 1]), 6) == 1.666667


def test_weighted_mean_length_mismatch_raises():
    with pytest.raises(ValueError):
        weighted_mean([1, 2], [1])


def test_median_odd_count():
    assert median([3, 1, 2]) == 2
    assert median([5]) == 5


def test_median_even_count():
    assert median([4, 1, 3, 2]) == 2.5
    assert median([10, 20]) == 15.0


def test_median_of_empty_data_raises():
    with pytest.raises(ValueError):
        median([])


def test_mode_most_common():
    assert mode([1, 2, 2, 3]) == 2
    assert mode([5]) == 5


def test_mode_ties_and_empty():
    assert mode([3, 1, 3, 1]) == 1
    assert mode([]) is None


def test_data_range_of_numbers():
    assert data_range([3, 9, 1]) == 8
    assert data_range([-4, 4]) == 8


def test_data_range_of_tiny_data():
    assert data_range([5]) == 0
    assert data_range([]) == 0


def test_variance_of_numbers():
    assert variance([2, 4, 4, 4, 5, 5, 7, 9]) == 4.0
    assert variance([1, 2, 3, 4, 5]) == 2.0


def test_variance_single_value_and_empty():
    assert variance([5]) == 0.0
    with pytest.raises(ValueError):
        variance([])


def test_sample_variance_of_numbers():
    assert sample_variance([1, 2, 3, 4, 5]) == 2.5
    assert sample_variance([1, 3]) == 2.0


def test_sample_variance_needs_two_values():
    with pytest.raises(ValueError):
        sample_variance([5])


def test_percentile_at_data_points():
    assert percentile([10, 20, 30, 40, 50], 0) == 10
    assert percentile([50, 40, 30, 20, 10], 25) == 20
    assert percentile([10, 20, 30, 40, 50], 100) == 50


def test_percentile_interpolates():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert round(percentile([1, 2, 3, 4], 90), 6) == 3.7
    assert percentile([7], 50) == 7


def test_percentile_out_of_range_raises():
    with pytest.raises(ValueError):
        percentile([1, 2, 3], 101)
    with pytest.raises(ValueError):
        percentile([1, 2, 3], -1)


def test_interquartile_range_exact_positions():
    assert interquartile_range([1, 2, 3, 4, 5, 6, 7, 8, 9]) == 4
    assert interquartile_range([10, 20, 30, 40, 50]) == 20


def test_interquartile_range_interpolated():
    assert interquartile_range([1, 2, 3, 4]) == 1.5
