"""Points and vectors represented as (x, y) tuples."""

import math


def add(p, q):
    """Component-wise sum of two vectors."""
    return (p[0] + q[0], p[1] + q[1])


def scale(v, factor):
    """Multiply both components of v by factor."""
    return (v[0] * factor, v[1] * factor)


def dot(u, v):
    """Dot product of two vectors."""
    return u[0] * v[0] + u[1] * v[1]


def cross(u, v):
    """Z component of the cross product of two 2D vectors."""
    return u[0] * v[1] - u[1] * v[0]


def length(v):
    """Euclidean length of a vector."""
    return math.sqrt(v[0] * v[0] + v[1] * v[1])


def distance(p, q):
    """Euclidean distance between two points."""
    dx = q[0] - p[0]
    dy = q[1] - p[1]
    return math.hypot(dx, dy)


def manhattan(p, q):
    """Taxicab distance between two points."""
    return abs(p[0] - q[0]) + abs(p[1] - q[1])


def midpoint(p, q):
    """Point halfway between p and q."""
    return ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)


def orientation(p, q, r):
    """1 if p, q, r turn counter-clockwise, -1 if clockwise, 0 if collinear."""
    turn = (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
    if turn > 0:
        return 1
    if turn < 0:
        return -1
    return 0


def clamp(value, low, high):
    """Limit value to the closed interval [low, high]."""
    if low > high:
        raise ValueError("low must not exceed high")
    if value < low:
        return low
    if value > high:
        return high
    return value
