"""Admin API function: organizations and contracts (and, later, courseware, codes, learners)."""
