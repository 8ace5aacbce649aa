"""Shared package of the B2B contracts backend: settings, observability, errors, data layer, domain."""
