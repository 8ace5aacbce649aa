"""Labelled DynamoDB transactions.

PynamoDB sends a transaction's operations grouped by kind (condition checks, deletes, puts,
updates), so the positions of DynamoDB's cancellation reasons do not follow the order of the
calls. :class:`Transaction` labels each operation and reports failures by label instead.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from b2b.db.errors import CONDITION_FAILED, cancellation_codes, translate_errors
from b2b.db.table import TableItem

# In a cancelled transaction, the reason of an operation whose condition failed: DynamoDB's error
# code for a failed condition without its "Exception" suffix.
_CONDITION_REASON = CONDITION_FAILED.removesuffix("Exception")
TRANSACTION_CONFLICT = "TransactionConflict"


class TransactionCancelled(Exception):
    """A transaction was cancelled; ``reasons`` maps each failed operation's label to its code."""

    def __init__(self, reasons: dict[str, str], cause: TransactWriteError) -> None:
        super().__init__(f"transaction cancelled: {reasons}")
        self.reasons = reasons
        self.cause = cause

    def failed(self, label: str) -> bool:
        """True when the operation ``label`` failed its condition."""
        return self.reasons.get(label) == _CONDITION_REASON

    @property
    def conflicted(self) -> bool:
        """True when a concurrent transaction on the same items cancelled this one (retry it)."""
        return TRANSACTION_CONFLICT in self.reasons.values()


class Transaction:
    """Collect labelled writes, then :meth:`commit` them as one TransactWriteItems request."""

    def __init__(self, client_request_token: str | None = None) -> None:
        self._tx = TransactWrite(
            connection=TableItem._get_connection().connection, client_request_token=client_request_token
        )
        self._labels: dict[str, list[str]] = {"check": [], "delete": [], "put": [], "update": []}

    def __len__(self) -> int:
        return sum(len(labels) for labels in self._labels.values())

    def condition_check(
        self, label: str, model: type[TableItem], pk: str, sk: str, condition: Condition
    ) -> None:
        self._tx.condition_check(model, pk, sk, condition=condition)
        self._labels["check"].append(label)

    def put(self, label: str, item: TableItem, condition: Condition | None = None) -> None:
        self._tx.save(item, condition=condition)
        self._labels["put"].append(label)

    def update(
        self, label: str, item: TableItem, actions: list[Any], condition: Condition | None = None
    ) -> None:
        self._tx.update(item, actions=actions, condition=condition)
        self._labels["update"].append(label)

    def delete(self, label: str, item: TableItem, condition: Condition | None = None) -> None:
        self._tx.delete(item, condition=condition)
        self._labels["delete"].append(label)

    def commit(self) -> None:
        """Send the transaction; raises :class:`TransactionCancelled` or a translated domain error."""
        order = self._labels["check"] + self._labels["delete"] + self._labels["put"] + self._labels["update"]
        try:
            with self._tx:
                pass  # leaving the block commits
        except TransactWriteError as exc:
            codes = cancellation_codes(exc)
            if codes:
                reasons = {
                    label: code for label, code in zip(order, codes, strict=False) if code and code != "None"
                }
                raise TransactionCancelled(reasons, exc) from exc
            with translate_errors():
                raise
