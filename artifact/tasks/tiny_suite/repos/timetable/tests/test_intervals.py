from timetable.intervals import (
    find_gaps,
    first_fit,
    intersection,
    merge_intervals,
    overlaps,
    split_interval,
    total_duration,
)


def test_overlaps_partial_and_nested():
    assert overlaps((540, 600), (570, 630)) is True
    assert overlaps((570, 630), (540, 600)) is True
    assert overlaps((500, 700), (550, 560)) is True


def test_overlaps_touching_or_disjoint():
    assert overlaps((540, 600), (600, 660)) is False
    assert overlaps((600, 660), (540, 600)) is False
    assert overlaps((540, 600), (700, 800)) is False


def test_intersection_of_overlapping_intervals():
    assert intersection((540, 600), (570, 630)) == (570, 600)
    assert intersection((500, 700), (550, 560)) == (550, 560)


def test_intersection_of_touching_intervals_is_none():
    assert intersection((540, 600), (600, 660)) is None
    assert intersection((700, 800), (540, 600)) is None


def test_merge_intervals_touching_and_nested():
    assert merge_intervals([(600, 660), (540, 600)]) == [(540, 660)]
    assert merge_intervals([(540, 700), (560, 580), (720, 780)]) == [(540, 700), (720, 780)]


def test_merge_intervals_keeps_separate_and_empty():
    assert merge_intervals([(600, 660), (540, 599)]) == [(540, 599), (600, 660)]
    assert merge_intervals([(650, 700), (540, 599), (600, 660)]) == [(540, 599), (600, 700)]
    assert merge_intervals([]) == []


def test_total_duration_counts_overlap_once():
    assert total_duration([(540, 600), (570, 630)]) == 90


def test_total_duration_disjoint_and_empty():
    assert total_duration([(0, 10), (20, 30)]) == 20
    assert total_duration([]) == 0


def test_find_gaps_between_bookings():
    assert find_gaps([(660, 720), (540, 600)], 480, 1080) == [(480, 540), (600, 660), (720, 1080)]
    assert find_gaps([(540, 600), (560, 620)], 480, 700) == [(480, 540), (620, 700)]


def test_find_gaps_at_day_edges():
    assert find_gaps([(480, 540)], 480, 600) == [(540, 600)]
    assert find_gaps([(500, 600)], 480, 600) == [(480, 500)]
    assert find_gaps([(700, 800)], 480, 600) == [(480, 600)]


def test_first_fit_finds_earliest_gap():
    assert first_fit([(540, 600)], 480, 720, 60) == 480
    assert first_fit([(510, 600)], 480, 720, 60) == 600


def test_first_fit_returns_none_when_full():
    assert first_fit([(480, 700)], 480, 720, 30) is None


def test_split_interval_exact_slots():
    assert split_interval((540, 600), 20) == [(540, 560), (560, 580), (580, 600)]


def test_split_interval_drops_remainder():
    assert split_interval((0, 50), 20) == [(0, 20), (20, 40)]
    assert split_interval((0, 10), 20) == []
