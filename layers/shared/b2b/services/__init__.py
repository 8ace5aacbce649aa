"""Use cases: each service orchestrates the domain core and the adapters, and returns domain outcomes."""
