"""SQS-driven reconciliation of a contract's enrollment codes."""
