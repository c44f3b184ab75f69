"""timetable: small scheduling helpers built on minutes since midnight."""

from .booking import RoomCalendar
from .clock import (
    format_time,
    is_between,
    is_valid_time,
    minutes_until,
    parse_time,
    round_up,
    to_12_hour,
)
from .dates import (
    add_days,
    day_of_year,
    days_in_month,
    is_leap_year,
    split_week_minute,
    weekday,
)
from .intervals import (
    find_gaps,
    first_fit,
    intersection,
    merge_intervals,
    overlaps,
    split_interval,
    total_duration,
)
