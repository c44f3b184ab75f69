"""Simple polygons given as lists of (x, y) vertices."""

import math


def signed_double_area(vertices):
    """Twice the signed shoelace area; positive for counter-clockwise order."""
    total = 0
    count = len(vertices)
    for index in range(count):
        x1, y1 = vertices[index]
        x2, y2 = vertices[(index + 1) % count]
        total += x1 * y2 - x2 * y1
    return total


def area(vertices):
    """Unsigned area of a polygon (shoelace formula)."""
    if len(vertices) < 3:
        raise ValueError("a polygon needs at least 3 vertices")
    twice = 0
    for index in range(len(vertices)):
        x1, y1 = vertices[index - 1]
        x2, y2 = vertices[index]
        twice += x1 * y2 - x2 * y1
    return abs(twice) / 2


def is_clockwise(vertices):
    """True when the vertices are listed in clockwise order."""
    return signed_double_area(vertices) < 0


def perimeter(vertices):
    """Total length of the closed polygon boundary."""
    total = 0.0
    previous = vertices[-1]
    for current in vertices:
        total += math.hypot(current[0] - previous[0], current[1] - previous[1])
        previous = current
    return total


def bounding_box(points):
    """(min_x, min_y, max_x, max_y) of the points; error when empty."""
    if not points:
        raise ValueError("no points")
    min_x, min_y = points[0]
    max_x, max_y = points[0]
    for x, y in points[1:]:
        if x < min_x:
            min_x = x
        if x > max_x:
            max_x = x
        if y < min_y:
            min_y = y
        if y > max_y:
            max_y = y
    return (min_x, min_y, max_x, max_y)


def vertex_centroid(vertices):
    """Average of the vertices."""
    count = len(vertices)
    sum_x = sum(x for x, _ in vertices)
    sum_y = sum(y for _, y in vertices)
    return (sum_x / count, sum_y / count)


def translate(vertices, dx, dy):
    """The polygon moved by (dx, dy)."""
    moved = []
    for x, y in vertices:
        moved.append((x + dx, y + dy))
    return moved


def point_in_polygon(point, vertices):
    """Ray-casting test; points exactly on an edge may go either way."""
    px, py = point
    inside = False
    for index in range(len(vertices)):
        x1, y1 = vertices[index - 1]
        x2, y2 = vertices[index]
        if (y1 > py) != (y2 > py):
            crossing_x = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
            if px < crossing_x:
                inside = not inside
    return inside


def clamp_to_box(point, box):
    """Move a point to the nearest position inside box (min_x, min_y, max_x, max_y)."""
    x, y = point
    min_x, min_y, max_x, max_y = box
    x = min(max(x, min_x), max_x)
    y = min(max(y, min_y), max_y)
    return (x, y)
