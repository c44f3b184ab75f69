from timetable.booking import RoomCalendar


def make_calendar():
    return RoomCalendar(bookings={
        "A": [(660, 720, "bob"), (540, 600, "ann")],
        "B": [],
    })


def test_is_free_between_bookings():
    calendar = make_calendar()
    assert calendar.is_free("A", 600, 660) is True
    assert calendar.is_free("B", 540, 600) is True
    assert calendar.is_free("Z", 540, 600) is True


def test_is_free_detects_overlap():
    calendar = make_calendar()
    assert calendar.is_free("A", 599, 601) is False
    assert calendar.is_free("A", 500, 541) is False
    assert calendar.is_free("A", 719, 730) is False


def test_book_accepts_free_slot_at_opening_hours_edges():
    calendar = make_calendar()
    assert calendar.book("B", 480, 540, "cy") is True
    assert calendar.book("B", 1020, 1080, "cy") is True


def test_book_rejects_outside_opening_hours_or_empty():
    calendar = make_calendar()
    assert calendar.book("B", 470, 500, "cy") is False
    assert calendar.book("B", 1000, 1081, "cy") is False
    assert calendar.book("B", 600, 600, "cy") is False


def test_book_rejects_conflicts_and_unknown_rooms():
    calendar = make_calendar()
    assert calendar.book("B", 540, 600, "cy") is True
    assert calendar.book("B", 570, 630, "dee") is False
    assert calendar.book("Z", 540, 600, "cy") is False


def test_cancel_existing_booking_once():
    calendar = make_calendar()
    assert calendar.cancel("A", 660) is True
    assert calendar.cancel("A", 660) is False


def test_cancel_missing_booking():
    calendar = make_calendar()
    assert calendar.cancel("A", 545) is False
    assert calendar.cancel("Z", 540) is False


def test_booked_minutes_of_busy_room():
    assert make_calendar().booked_minutes("A") == 120


def test_booked_minutes_of_empty_room():
    assert make_calendar().booked_minutes("B") == 0


def test_utilisation_whole_percent():
    assert make_calendar().utilisation("A") == 20


def test_utilisation_rounds_down():
    calendar = RoomCalendar(480, 1080, {"C": [(600, 659, "eve")], "D": [(480, 1079, "fay")]})
    assert calendar.utilisation("C") == 9
    assert calendar.utilisation("D") == 99


def test_free_slots_between_bookings():
    assert make_calendar().free_slots("A") == [(480, 540), (600, 660), (720, 1080)]
    assert make_calendar().free_slots("B") == [(480, 1080)]


def test_free_slots_at_edges():
    calendar = RoomCalendar(480, 1080, {"C": [(480, 500, "x")], "D": [(480, 1080, "y")]})
    assert calendar.free_slots("C") == [(500, 1080)]
    assert calendar.free_slots("D") == []


def test_find_room_picks_first_free_room():
    calendar = make_calendar()
    assert calendar.find_room(540, 600) == "B"
    assert calendar.find_room(600, 660) == "A"


def test_find_room_none_when_all_busy():
    calendar = RoomCalendar(480, 1080, {"A": [(540, 600, "x")], "B": [(500, 560, "y")]})
    assert calendar.find_room(550, 555) is None


def test_busiest_room_by_minutes():
    assert make_calendar().busiest_room() == "A"


def test_busiest_room_ties_and_empty_rooms():
    calendar = RoomCalendar(480, 1080, {"X": [(480, 540, "x")], "Y": [(600, 660, "y")]})
    assert calendar.busiest_room() == "X"
    assert RoomCalendar(480, 1080, {"Q": []}).busiest_room() == "Q"
    assert RoomCalendar().busiest_room() is None
