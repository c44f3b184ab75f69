import pytest

from geometry.rects import Rect


def test_area():
    assert Rect(0, 0, 3, 4).area() == 12


def test_area_zero_width():
    assert Rect(1, 1, 0, 5).area() == 0


def test_perimeter():
    assert Rect(0, 0, 3, 4).perimeter() == 14


def test_perimeter_flat():
    assert Rect(0, 0, 0, 5).perimeter() == 10


def test_center():
    assert Rect(0, 0, 4, 2).center() == (2.0, 1.0)


def test_center_offset():
    assert Rect(1, 3, 3, 5).center() == (2.5, 5.5)


def test_is_square():
    assert Rect(0, 0, 2, 2).is_square() is True
    assert Rect(0, 0, 2, 3).is_square() is False


def test_is_square_empty():
    assert Rect(0, 0, 0, 0).is_square() is False
    assert Rect(5, 5, 1, 1).is_square() is True


def test_contains_point_inside_and_corners():
    rect = Rect(0, 0, 4, 3)
    assert rect.contains_point(2, 1) is True
    assert rect.contains_point(4, 3) is True
    assert rect.contains_point(0, 0) is True


def test_contains_point_outside():
    rect = Rect(0, 0, 4, 3)
    assert rect.contains_point(4.5, 1) is False
    assert rect.contains_point(2, -1) is False
    assert rect.contains_point(2, 3.5) is False


def test_contains_rect_inside():
    outer = Rect(0, 0, 10, 10)
    assert outer.contains_rect(Rect(2, 2, 3, 3)) is True
    assert outer.contains_rect(Rect(0, 0, 10, 10)) is True


def test_contains_rect_sticking_out():
    outer = Rect(0, 0, 10, 10)
    assert outer.contains_rect(Rect(8, 8, 3, 1)) is False
    assert outer.contains_rect(Rect(2, 8, 1, 3)) is False


def test_contains_rect_left_or_below():
    outer = Rect(0, 0, 10, 10)
    assert outer.contains_rect(Rect(-1, 2, 3, 3)) is False
    assert outer.contains_rect(Rect(2, -1, 3, 3)) is False


def test_intersects_overlapping():
    rect = Rect(0, 0, 4, 4)
    assert rect.intersects(Rect(2, 2, 4, 4)) is True
    assert rect.intersects(Rect(1, 1, 1, 1)) is True


def test_intersects_touching_sides():
    rect = Rect(0, 0, 4, 4)
    assert rect.intersects(Rect(4, 0, 2, 2)) is False
    assert rect.intersects(Rect(-2, 0, 2, 2)) is False


def test_intersects_touching_top_and_bottom():
    rect = Rect(0, 0, 4, 4)
    assert rect.intersects(Rect(0, 4, 1, 1)) is False
    assert rect.intersects(Rect(0, -1, 1, 1)) is False


def test_intersection_overlap():
    assert Rect(0, 0, 4, 4).intersection(Rect(2, 1, 4, 4)) == Rect(2, 1, 2, 3)
    assert Rect(0, 0, 10, 10).intersection(Rect(2, 3, 1, 1)) == Rect(2, 3, 1, 1)


def test_intersection_touching_is_none():
    assert Rect(0, 0, 4, 4).intersection(Rect(4, 0, 2, 2)) is None
    assert Rect(0, 0, 4, 4).intersection(Rect(1, 4, 2, 2)) is None


def test_expand():
    assert Rect(1, 1, 2, 2).expand(1) == Rect(0, 0, 4, 4)


def test_expand_shrinking_to_zero():
    assert Rect(0, 0, 4, 6).expand(-2) == Rect(2, 2, 0, 2)
    assert Rect(0, 0, 6, 4).expand(-2) == Rect(2, 2, 2, 0)


def test_expand_shrinking_too_much():
    with pytest.raises(ValueError):
        Rect(0, 0, 3, 8).expand(-2)
    with pytest.raises(ValueError):
        Rect(0, 0, 8, 3).expand(-2)
