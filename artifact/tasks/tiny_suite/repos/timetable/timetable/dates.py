"""Calendar arithmetic for the Gregorian calendar, without the datetime module.

Weekdays are numbered 0 (Monday) to 6 (Sunday).
"""


def is_leap_year(year):
    """Return True if year is a leap year."""
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year, month):
    """Return the number of days in the given month (1 to 12) of year."""
    if month == 2:
        return 29 if is_leap_year(year) else 28
    if month in (4, 6, 9, 11):
        return 30
    return 31


def day_of_year(year, month, day):
    """Return the ordinal day within the year, 1 for January 1st."""
    total = day
    for earlier in range(1, month):
        total += days_in_month(year, earlier)
    return total


def weekday(year, month, day):
    """Return the weekday of a date, 0 for Monday up to 6 for Sunday.

    Uses Zeller's congruence, treating January and February as the
    13th and 14th months of the previous year.
    """
    if month < 3:
        month += 12
        year -= 1
    century, year_of_century = divmod(year, 100)
    saturday_based = (day + 13 * (month + 1) // 5 + year_of_century
                      + year_of_century // 4 + century // 4 + 5 * century) % 7
    return (saturday_based + 5) % 7


def add_days(year, month, day, count):
    """Return the date (year, month, day) that is count days later."""
    for _ in range(count):
        day += 1
        if day > days_in_month(year, month):
            day = 1
            month += 1
            if month > 12:
                month = 1
                year += 1
    return (year, month, day)


def split_week_minute(value):
    """Decode minutes since Monday 00:00 into (weekday, time of day).

    Values outside one week wrap around.
    """
    value = value % 10080
    return (value // 1440, value % 1440)
