"""Checkout API: validate and complete baskets, attach learners by enrollment code."""
