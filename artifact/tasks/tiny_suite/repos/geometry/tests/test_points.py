import pytest

from geometry.points import (
    add,
    clamp,
    cross,
    distance,
    dot,
    length,
    manhattan,
    midpoint,
    orientation,
    scale,
)


def test_add():
    assert add((1, 2), (3, 5)) == (4, 7)


def test_add_negative():
    assert add((-1, 0), (1, -2)) == (0, -2)


def test_scale():
    assert scale((2, -3), 4) == (8, -12)


def test_scale_by_zero_and_one():
    assert scale((5, 7), 0) == (0, 0)
    assert scale((5, 7), 1) == (5, 7)


def test_dot():
    assert dot((1, 2), (3, 4)) == 11


def test_dot_perpendicular():
    assert dot((1, 0), (0, 1)) == 0
    assert dot((2, 3), (-3, 2)) == 0


def test_cross():
    assert cross((1, 0), (0, 1)) == 1
    assert cross((0, 1), (1, 0)) == -1


def test_cross_general():
    assert cross((2, 3), (4, 5)) == -2


def test_length():
    assert length((3, 4)) == 5.0


def test_length_axis_aligned():
    assert length((0, -2)) == 2.0
    assert length((-6, 0)) == 6.0


def test_distance():
    assert distance((1, 1), (4, 5)) == 5.0


def test_distance_same_point():
    assert distance((2, 3), (2, 3)) == 0.0
    assert distance((-1, 2), (-1, -3)) == 5.0


def test_manhattan():
    assert manhattan((1, 1), (4, 5)) == 7


def test_manhattan_order_does_not_matter():
    assert manhattan((4, -1), (1, 1)) == 5
    assert manhattan((1, 1), (4, -1)) == 5


def test_midpoint():
    assert midpoint((0, 0), (4, 6)) == (2.0, 3.0)


def test_midpoint_fractional():
    assert midpoint((1, 2), (2, 5)) == (1.5, 3.5)


def test_orientation_turns():
    assert orientation((1, 1), (3, 2), (4, 3)) == 1
    assert orientation((1, 1), (3, 2), (4, 2)) == -1
    assert orientation((2, 1), (5, 2), (3, -1)) == -1


def test_orientation_collinear():
    assert orientation((1, 2), (3, 5), (7, 11)) == 0
    assert orientation((-1, -1), (1, 0), (5, 2)) == 0


def test_clamp_inside_and_outside():
    assert clamp(5, 0, 10) == 5
    assert clamp(-1, 0, 10) == 0
    assert clamp(11, 0, 10) == 10


def test_clamp_degenerate_interval():
    assert clamp(3, 3, 3) == 3
    with pytest.raises(ValueError):
        clamp(1, 4, 2)
