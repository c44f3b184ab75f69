"""A simple one-day room booking calendar.

Bookings are stored per room as ``(start, end, who)`` tuples,
with times in minutes since midnight and half-open ranges.
"""


class RoomCalendar:
    """Bookings for a set of rooms during the opening hours of one day."""

    def __init__(self, opening=480, closing=1080, bookings=None):
        """Create a calendar; bookings maps room names to lists of bookings."""
        self.opening = opening
        self.closing = closing
        self._bookings = {}
        for room, entries in (bookings or {}).items():
            self._bookings[room] = list(entries)

    def is_free(self, room, start, end):
        """Return True if the room has no booking overlapping [start, end)."""
        for booked_start, booked_end, _ in self._bookings.get(room, []):
            if start < booked_end and booked_start < end:
                return False
        return True

    def book(self, room, start, end, who):
        """Book a room for [start, end); return True if the booking succeeded."""
        if start >= end or start < self.opening or end > self.closing:
            return False
        if room not in self._bookings:
            return False
        if not self.is_free(room, start, end):
            return False
        self._bookings[room].append((start, end, who))
        return True

    def cancel(self, room, start):
        """Cancel the booking of room starting at start; return True if found."""
        entries = self._bookings.get(room, [])
        for index in range(len(entries)):
            if entries[index][0] == start:
                del entries[index]
                return True
        return False

    def booked_minutes(self, room):
        """Return the total booked minutes of a room."""
        total = 0
        for start, end, _ in self._bookings.get(room, []):
            total += end - start
        return total

    def utilisation(self, room):
        """Return the booked share of the opening hours as a whole percentage."""
        open_minutes = self.closing - self.opening
        return self.booked_minutes(room) * 100 // open_minutes

    def free_slots(self, room):
        """Return the free (start, end) ranges of a room within opening hours."""
        free = []
        cursor = self.opening
        for start, end, _ in sorted(self._bookings.get(room, [])):
            if start > cursor:
                free.append((cursor, start))
            cursor = max(cursor, end)
        if cursor < self.closing:
            free.append((cursor, self.closing))
        return free

    def find_room(self, start, end):
        """Return the alphabetically first room free for [start, end), or None."""
        for room in sorted(self._bookings):
            if self.is_free(room, start, end):
                return room
        return None

    def busiest_room(self):
        """Return the room with the most booked minutes (first name on ties)."""
        best = None
        best_minutes = -1
        for room, entries in sorted(self._bookings.items()):
            minutes = sum(end - start for start, end, _ in entries)
            if minutes > best_minutes:
                best = room
                best_minutes = minutes
        return best
