"""`b2b`: the operator command line over the admin API (organizations, contracts, courseware, codes)."""
