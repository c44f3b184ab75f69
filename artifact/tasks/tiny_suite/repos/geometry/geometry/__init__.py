"""geometry: small 2D geometry helpers on (x, y) tuples."""

from .points import (
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
from .rects import Rect
from .polygons import (
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

__all__ = [
    "Rect",
    "add",
    "area",
    "bounding_box",
    "clamp",
    "clamp_to_box",
    "cross",
    "distance",
    "dot",
    "is_clockwise",
    "length",
    "manhattan",
    "midpoint",
    "orientation",
    "perimeter",
    "point_in_polygon",
    "scale",
    "signed_double_area",
    "translate",
    "vertex_centroid",
]
