"""Axis-aligned rectangles."""

from dataclasses import dataclass


@dataclass
class Rect:
    """Rectangle with lower-left corner (x, y) and a width and height."""

    x: float
    y: float
    width: float
    height: float

    def area(self):
        """Width times height."""
        return self.width * self.height

    def perimeter(self):
        """Length of the boundary."""
        return 2 * (self.width + self.height)

    def center(self):
        """Center point of the rectangle."""
        return (self.x + self.width / 2, self.y + self.height / 2)

    def is_square(self):
        """True when width equals height and both are positive."""
        return self.width == self.height and self.width > 0

    def contains_point(self, px, py):
        """True when (px, py) lies inside or on the boundary."""
        inside_x = self.x <= px <= self.x + self.width
        inside_y = self.y <= py <= self.y + self.height
        return inside_x and inside_y

    def contains_rect(self, other):
        """True when `other` lies completely inside this rectangle."""
        if other.x < self.x or other.y < self.y:
            return False
        right_ok = other.x + other.width <= self.x + self.width
        top_ok = other.y + other.height <= self.y + self.height
        return right_ok and top_ok

    def intersects(self, other):
        """True when the rectangles overlap with positive area."""
        if self.x + self.width <= other.x or other.x + other.width <= self.x:
            return False
        if self.y + self.height <= other.y or other.y + other.height <= self.y:
            return False
        return True

    def intersection(self, other):
        """The overlapping rectangle, or None when they only touch or are apart."""
        left = max(self.x, other.x)
        bottom = max(self.y, other.y)
        right = min(self.x + self.width, other.x + other.width)
        top = min(self.y + self.height, other.y + other.height)
        if right <= left or top <= bottom:
            return None
        return Rect(left, bottom, right - left, top - bottom)

    def expand(self, margin):
        """A new rectangle grown by `margin` on every side."""
        new_width = self.width + 2 * margin
        new_height = self.height + 2 * margin
        if new_width < 0 or new_height < 0:
            raise ValueError("margin shrinks the rectangle below zero")
        return Rect(self.x - margin, self.y - margin, new_width, new_height)
