import pytest

from geometry.polygons import (
    area,
    bounding_box,
    clamp_to_box,
    is_clockwise,
    perimeter,
    point_in_polygon,
    signed_double_area,
    translate,
    vertex_centroid,
)

SQUARE = [(0, 0), (4, 0), (4, 4), (0, 4)]
L_SHAPE = [(0, 0), (4, 0), (4, 1), (1, 1), (1, 4), (0, 4)]


def test_signed_double_area_counter_clockwise():
    assert signed_double_area([(0, 0), (4, 0), (4, 3)]) == 12


def test_signed_double_area_clockwise():
    assert signed_double_area([(4, 3), (4, 0), (0, 0)]) == -12
    assert signed_double_area([(1, 1), (1, 3), (5, 3), (5, 1)]) == -16


def test_area_square_and_triangle():
    assert area([(0, 0), (2, 0), (2, 2), (0, 2)]) == 4.0
    assert area([(0, 0), (0, 3), (4, 0)]) == 6.0


def test_area_concave_and_degenerate():
    assert area(L_SHAPE) == 7.0
    with pytest.raises(ValueError):
        area([(0, 0), (5, 5)])


def test_is_clockwise():
    assert is_clockwise([(0, 0), (0, 1), (1, 0)]) is True
    assert is_clockwise([(0, 0), (4, 0), (0, 3)]) is False


def test_is_clockwise_collinear():
    assert is_clockwise([(0, 0), (1, 1), (2, 2)]) is False


def test_perimeter_square_and_triangle():
    assert perimeter([(0, 0), (2, 0), (2, 2), (0, 2)]) == 8.0
    assert perimeter([(0, 0), (4, 0), (4, 3)]) == 12.0


def test_perimeter_segment():
    assert perimeter([(0, 0), (3, 4)]) == 10.0


def test_bounding_box():
    assert bounding_box([(1, 5), (-2, 3), (4, -1)]) == (-2, -1, 4, 5)
    assert bounding_box([(3, 0), (2, 9), (1, 1)]) == (1, 0, 3, 9)


def test_bounding_box_single_point_and_empty():
    assert bounding_box([(2, 3)]) == (2, 3, 2, 3)
    with pytest.raises(ValueError):
        bounding_box([])


def test_vertex_centroid():
    assert vertex_centroid([(0, 0), (4, 0), (4, 2), (0, 2)]) == (2.0, 1.0)


def test_vertex_centroid_triangle():
    assert vertex_centroid([(1, 1), (2, 5), (6, 0)]) == (3.0, 2.0)


def test_translate():
    assert translate([(0, 0), (1, 2)], 3, -1) == [(3, -1), (4, 1)]


def test_translate_empty():
    assert translate([], 1, 1) == []


def test_point_in_polygon_square():
    assert point_in_polygon((2, 2), SQUARE) is True
    assert point_in_polygon((5, 2), SQUARE) is False
    assert point_in_polygon((0, 2), SQUARE) is True


def test_point_in_polygon_slanted_edge():
    triangle = [(1, 1), (5, 1), (1, 5)]
    assert point_in_polygon((3.9, 2), triangle) is True
    assert point_in_polygon((4.1, 2), triangle) is False
    assert point_in_polygon((0, 1), triangle) is False


def test_point_in_polygon_concave():
    assert point_in_polygon((3, 3), L_SHAPE) is False
    assert point_in_polygon((0.5, 3), L_SHAPE) is True
    assert point_in_polygon((3, 0.5), L_SHAPE) is True


def test_clamp_to_box_outside():
    assert clamp_to_box((5, -2), (0, 0, 4, 4)) == (4, 0)
    assert clamp_to_box((-1, 9), (0, 0, 4, 4)) == (0, 4)


def test_clamp_to_box_inside():
    assert clamp_to_box((2, 3), (0, 0, 4, 4)) == (2, 3)
