import pytest

from statskit.series import (
    argmax,
    bin_edges,
    clamp,
    clamp_all,
    differences,
    histogram,
    moving_average,
    normalise,
    rescale,
    running_total,
)


def test_running_total_of_numbers():
    assert running_total([1, 2, 3]) == [1, 3, 6]
    assert running_total([5, -2]) == [5, 3]


def test_running_total_of_empty_list():
    assert running_total([]) == []


def test_differences_of_squares():
    assert differences([1, 4, 9, 16]) == [3, 5, 7]


def test_differences_of_short_lists():
    assert differences([7]) == []
    assert differences([]) == []


def test_moving_average_windows():
    assert moving_average([1, 2, 3, 4, 5], 2) == [1.5, 2.5, 3.5, 4.5]
    assert moving_average([1, 2, 3, 4, 5], 5) == [3.0]
    assert moving_average([1, 2], 3) == []


def test_moving_average_window_of_one_and_zero():
    assert moving_average([4, 8], 1) == [4.0, 8.0]
    with pytest.raises(ValueError):
        moving_average([1, 2], 0)


def test_clamp_inside_range():
    assert clamp(5, 0, 10) == 5
    assert clamp(0, 0, 10) == 0
    assert clamp(10, 0, 10) == 10


def test_clamp_outside_range():
    assert clamp(-1, 0, 10) == 0
    assert clamp(11, 0, 10) == 10


def test_clamp_all_values():
    assert clamp_all([-5, 5, 15], 0, 10) == [0, 5, 10]


def test_clamp_all_empty_list():
    assert clamp_all([], 0, 1) == []


def test_rescale_from_zero_based_range():
    assert rescale(5, 0, 10, 0, 100) == 50.0
    assert rescale(0, 0, 10, 20, 30) == 20.0


def test_rescale_shifted_ranges():
    assert rescale(15, 10, 20, 0, 1) == 0.5
    assert rescale(3, 1, 5, 10, 30) == 20.0


def test_normalise_spread_values():
    assert normalise([2, 4, 6]) == [0.0, 0.5, 1.0]
    assert normalise([10, 0, 5]) == [1.0, 0.0, 0.5]


def test_normalise_constant_values():
    assert normalise([3, 3]) == [0.0, 0.0]


def test_bin_edges_integer_width():
    assert bin_edges(0, 10, 5) == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]


def test_bin_edges_fractional_width():
    assert bin_edges(1, 2, 4) == [1.0, 1.25, 1.5, 1.75, 2.0]


def test_histogram_counts_every_value():
    assert histogram([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0, 10, 5) == [2, 2, 2, 2, 3]


def test_histogram_ignores_values_outside_range():
    assert histogram([-1, 0, 5, 10, 11], 0, 10, 2) == [1, 2]
    assert histogram([], 0, 10, 3) == [0, 0, 0]


def test_histogram_with_offset_range():
    assert histogram([9, 10, 12, 15, 19, 20, 21], 10, 20, 5) == [1, 1, 1, 0, 2]


def test_argmax_first_largest():
    assert argmax([3, 9, 2, 9]) == 1
    assert argmax([-3, -1, -2]) == 1


def test_argmax_short_lists():
    assert argmax([5]) == 0
    assert argmax([]) is None
