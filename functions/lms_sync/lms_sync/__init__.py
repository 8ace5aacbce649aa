"""LMS sync worker: sends enrollments from the LMS sync queue to the Open edX enrollment API."""
