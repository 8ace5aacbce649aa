"""Data-access layer: the single DynamoDB table, its item models and the repositories.

Only this package talks to DynamoDB. See docs/data-model.md for keys, indexes and access patterns.
"""
