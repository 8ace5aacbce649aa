"""Event publisher: turns the table's stream into business events and LMS syncs."""
