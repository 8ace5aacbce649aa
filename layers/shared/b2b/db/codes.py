"""Enrollment codes in the table: the reconciler's writes, the admin listings and the counters' upkeep.

Writes to an existing code are conditional on it being still unredeemed (``status = available``
and ``redemptions = 0``, and held by the same learner as when planned), so a checkout redeeming or
an attach claiming a code at the same moment always wins. Retiring a used unlimited code changes
its status only. New codes
have fresh random keys and are written with BatchWriteItem (25 per request); their counter is
brought up to date afterwards by :func:`record_issued`, guarded by the counter's ``issued_seq``
so that a run that stopped between the two is repaired by the next one, never counted twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import UpdateError

from b2b.db import keys, retry
from b2b.db.code_counters import counter_actions, counter_item
from b2b.db.errors import CONDITION_FAILED, translate_errors
from b2b.db.models import CodeCounterItem, EnrollmentCodeItem, ProductItem
from b2b.db.paging import decode_cursor, encode_cursor
from b2b.db.table import dynamodb_client
from b2b.db.transactions import Transaction, TransactionCancelled
from b2b.domain.errors import Conflict, Unavailable
from b2b.domain.model import Page
from b2b.domain.reconcile import CodeKind, CodeStatus, CodeTerms, CounterState, EnrollmentCode
from b2b.settings import get_settings

BATCH_SIZE = 25  # BatchWriteItem's limit
# A transaction holds at most 100 writes: 99 codes and their product's counter.
DEACTIVATE_CHUNK = 99
COUNTER_CHUNK = 100
TERMS_CHUNK = 100
# BatchWriteItem requests in flight at once while creating codes.
WRITERS = 4

# --- items --------------------------------------------------------------------------------------


def code_item(code: EnrollmentCode) -> EnrollmentCodeItem:
    """The item for ``code`` with its lookup key and both index keys."""
    return EnrollmentCodeItem(
        pk=keys.code_pk(code.code),
        sk=keys.CODE_SK,
        gsi1pk=keys.contract_codes_gsi1_pk(code.contract_id),
        gsi1sk=keys.code_gsi1_sk(code.product_id, code.seq),
        gsi2pk=keys.contract_codes_by_status_gsi2_pk(code.contract_id, code.status.value),
        gsi2sk=keys.code_gsi1_sk(code.product_id, code.seq),
        code=code.code,
        contract_id=code.contract_id,
        product_id=code.product_id,
        seq=code.seq,
        kind=code.kind.value,
        status=code.status.value,
        amount=code.amount,
        valid_from=code.valid_from,
        valid_until=code.valid_until,
        redemptions=code.redemptions,
        redeemed_by=code.redeemed_by,
        redeemed_at=code.redeemed_at,
        claimed_by=code.claimed_by,
        created_at=code.created_at,
        terms_version=code.terms_version,
    )


def new_code_attributes(code: EnrollmentCode) -> dict[str, dict[str, Any]]:
    """The DynamoDB attributes of a new code: what ``code_item(code).serialize()`` gives, built
    directly because creating thousands of codes spends most of its client time in model objects
    (a unit test keeps the two identical)."""
    order = keys.code_gsi1_sk(code.product_id, code.seq)
    attributes: dict[str, dict[str, Any]] = {
        "pk": {"S": keys.code_pk(code.code)},
        "sk": {"S": keys.CODE_SK},
        "entity": {"S": "code"},
        "gsi1pk": {"S": keys.contract_codes_gsi1_pk(code.contract_id)},
        "gsi1sk": {"S": order},
        "gsi2pk": {"S": keys.contract_codes_by_status_gsi2_pk(code.contract_id, code.status.value)},
        "gsi2sk": {"S": order},
        "code": {"S": code.code},
        "contract_id": {"N": str(code.contract_id)},
        "product_id": {"N": str(code.product_id)},
        "seq": {"N": str(code.seq)},
        "kind": {"S": code.kind.value},
        "status": {"S": code.status.value},
        "amount": {"N": str(code.amount)},
        "payment_type": {"S": "sales"},
        "bulk": {"BOOL": True},
        "redemptions": {"N": str(code.redemptions)},
        "created_at": {"S": _utc_text(code.created_at)},
        "terms_version": {"N": str(code.terms_version)},
    }
    for name, moment in (("valid_from", code.valid_from), ("valid_until", code.valid_until)):
        if moment is not None:
            attributes[name] = {"S": _utc_text(moment)}
    return attributes


def _utc_text(moment: datetime) -> str:
    return EnrollmentCodeItem.created_at.serialize(moment)  # type: ignore[no-any-return]


def to_code(item: EnrollmentCodeItem) -> EnrollmentCode:
    return EnrollmentCode(
        code=item.code,
        contract_id=int(item.contract_id),
        product_id=int(item.product_id),
        seq=int(item.seq or 0),
        kind=CodeKind(item.kind),
        status=CodeStatus(item.status),
        amount=item.amount,
        valid_from=item.valid_from,
        valid_until=item.valid_until,
        redemptions=int(item.redemptions or 0),
        created_at=item.created_at,
        redeemed_by=item.redeemed_by,
        redeemed_at=item.redeemed_at,
        claimed_by=item.claimed_by,
        terms_version=int(item.terms_version or 0),
    )


def status_actions(contract_id: int, status: CodeStatus) -> list[Any]:
    """Actions that move a code to ``status`` and keep its by-status index key in step.

    Every writer that changes a code's status (the reconciler, checkout) should use these, so
    listing codes by status stays one key-conditioned Query.
    """
    return [
        EnrollmentCodeItem.status.set(status.value),
        EnrollmentCodeItem.gsi2pk.set(keys.contract_codes_by_status_gsi2_pk(contract_id, status.value)),
    ]


def _unredeemed() -> Any:
    return (EnrollmentCodeItem.status == CodeStatus.AVAILABLE.value) & (EnrollmentCodeItem.redemptions == 0)


def _as_read(code: EnrollmentCode, now: datetime) -> Any:
    """Unredeemed, and held by the same learner (or nobody) as when the plan was made: a code
    claimed by an attach meanwhile is not deactivated as if nobody held it. Nor is a one-time code
    reserved by a pending order whose hold still lives (``reserved_until`` in the future): the
    learner is paying for it; once the hold ends the code is free to deactivate."""
    holder = (
        EnrollmentCodeItem.claimed_by.does_not_exist()
        if code.claimed_by is None
        else EnrollmentCodeItem.claimed_by == code.claimed_by
    )
    unreserved = EnrollmentCodeItem.reserved_until.does_not_exist() | (
        EnrollmentCodeItem.reserved_until <= int(now.timestamp())
    )
    return _unredeemed() & holder & unreserved


# --- reads --------------------------------------------------------------------------------------


def codes_from(contract_id: int, first_product_id: int) -> Iterator[EnrollmentCode]:
    """A contract's codes from one product on, by product then age, read lazily page by page
    (one Query per 1 MB), so a run reads only the products it gets to."""
    with translate_errors():
        for item in EnrollmentCodeItem.gsi1.query(
            keys.contract_codes_gsi1_pk(contract_id),
            EnrollmentCodeItem.gsi1sk >= keys.code_product_prefix(first_product_id),
        ):
            yield to_code(item)  # type: ignore[arg-type]


def contract_codes(contract_id: int) -> Iterator[EnrollmentCode]:
    """Every code of a contract, by product then age (paged Query on gsi1; for diagnostics)."""
    with translate_errors():
        for item in EnrollmentCodeItem.gsi1.query(keys.contract_codes_gsi1_pk(contract_id)):
            yield to_code(item)  # type: ignore[arg-type]


def list_codes(
    contract_id: int, status: CodeStatus | None, product_id: int | None, limit: int, cursor: str | None
) -> Page[EnrollmentCode]:
    """A page of a contract's codes, optionally of one status and/or one product (one Query per page).

    Without a status: gsi1 (``CONTRACT#<id>#CODES``, sort key by product). With a status: gsi2
    (``CONTRACT#<id>#CODES#<status>``). The product is a ``begins_with`` on the sort key.
    """
    with translate_errors():
        if status is None:
            partition = keys.contract_codes_gsi1_pk(contract_id)
            index: Any = EnrollmentCodeItem.gsi1
            range_condition = (
                EnrollmentCodeItem.gsi1sk.startswith(keys.code_product_prefix(product_id))
                if product_id is not None
                else None
            )
            start = decode_cursor(cursor, ("gsi1pk", partition))
        else:
            partition = keys.contract_codes_by_status_gsi2_pk(contract_id, status.value)
            index = EnrollmentCodeItem.gsi2
            range_condition = (
                EnrollmentCodeItem.gsi2sk.startswith(keys.code_product_prefix(product_id))
                if product_id is not None
                else None
            )
            start = decode_cursor(cursor, ("gsi2pk", partition))
        result = index.query(partition, range_condition, limit=limit, last_evaluated_key=start)
        items = [to_code(item) for item in result]
    return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))


def list_codes_for_export(
    contract_id: int, product_id: int | None, limit: int, cursor: str | None
) -> Page[EnrollmentCode]:
    """A page of the codes worth handing out or auditing (available and redeemed; not deactivated)."""
    partition = keys.contract_codes_gsi1_pk(contract_id)
    with translate_errors():
        result = EnrollmentCodeItem.gsi1.query(
            partition,
            EnrollmentCodeItem.gsi1sk.startswith(keys.code_product_prefix(product_id))
            if product_id is not None
            else None,
            filter_condition=EnrollmentCodeItem.status != CodeStatus.DEACTIVATED.value,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, ("gsi1pk", partition)),
        )
        items = [to_code(item) for item in result]  # type: ignore[arg-type]
    return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))


def read_product_counters(contract_id: int, product_ids: Sequence[int]) -> dict[int, CounterState]:
    """The code counters of the given products (BatchGetItem, 100 keys per request)."""
    with translate_errors():
        items = CodeCounterItem.batch_get(
            [(keys.contract_pk(contract_id), keys.code_counter_sk(product_id)) for product_id in product_ids]
        )
        return {int(item.product_id): _counter_state(item) for item in items}


def _counter_state(item: CodeCounterItem) -> CounterState:
    return CounterState(
        product_id=int(item.product_id),
        available=int(item.available or 0),
        redeemed=int(item.redeemed or 0),
        deactivated=int(item.deactivated or 0),
        retired=int(item.retired or 0),
        unlimited_uses=int(item.unlimited_uses or 0),
        issued_seq=int(item.issued_seq or 0),
    )


def read_counters(contract_id: int) -> dict[int, CounterState]:
    """Every code counter of a contract by product id (one Query on the contract's partition)."""
    with translate_errors():
        items = CodeCounterItem.query(
            keys.contract_pk(contract_id), CodeCounterItem.sk.startswith(keys.CODE_COUNTER_SK_PREFIX)
        )
        return {int(item.product_id): _counter_state(item) for item in items}


# --- reconciler writes --------------------------------------------------------------------------


def put_new_codes(codes: Sequence[EnrollmentCode]) -> None:
    """Write brand-new codes, 25 per BatchWriteItem, a few requests in flight at once; unprocessed
    items (DynamoDB's answer to a busy partition, which botocore does not retry) are sent again
    after the pauses of :mod:`b2b.db.retry`.

    BatchWriteItem has no conditions, which is safe here only because every code is a fresh
    80-bit random key. Raises :class:`Unavailable` when DynamoDB keeps refusing.
    """
    batches = [codes[start : start + BATCH_SIZE] for start in range(0, len(codes), BATCH_SIZE)]
    if len(batches) <= 1:
        for batch in batches:
            _put_batch(batch)
        return
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        # list() re-raises the first failure once every batch has been tried.
        list(pool.map(_put_batch, batches))


def _put_batch(batch: Sequence[EnrollmentCode]) -> None:
    client = dynamodb_client()
    table = get_settings().table_name
    pending: list[dict[str, Any]] = [{"PutRequest": {"Item": new_code_attributes(code)}} for code in batch]
    for attempt in range(retry.ATTEMPTS):
        response = client.batch_write_item(RequestItems={table: pending})
        pending = response.get("UnprocessedItems", {}).get(table, [])
        if not pending:
            return
        if retry.retry_left(attempt):
            retry.pause(attempt)
    raise Unavailable("DynamoDB kept leaving code writes unprocessed; retry later")


def _terms_actions(terms: CodeTerms, now: datetime, terms_version: int) -> list[Any]:
    return [
        EnrollmentCodeItem.terms_version.set(terms_version),
        EnrollmentCodeItem.kind.set(terms.kind.value),
        EnrollmentCodeItem.amount.set(terms.amount),
        EnrollmentCodeItem.updated_at.set(now),
        EnrollmentCodeItem.valid_from.remove()
        if terms.valid_from is None
        else EnrollmentCodeItem.valid_from.set(terms.valid_from),
        EnrollmentCodeItem.valid_until.remove()
        if terms.valid_until is None
        else EnrollmentCodeItem.valid_until.set(terms.valid_until),
    ]


def update_code_terms(
    changes: Sequence[tuple[EnrollmentCode, CodeTerms]], now: datetime, terms_version: int
) -> int:
    """Change unredeemed codes' kind, amount and validity, up to 100 codes per transaction, each
    conditional on the code being still unredeemed. A code redeemed meanwhile is left alone (and
    the rest of its chunk retried). Returns how many codes changed."""
    done = 0
    for start in range(0, len(changes), TERMS_CHUNK):
        chunk = list(changes[start : start + TERMS_CHUNK])
        attempt = 0
        while chunk:
            tx = Transaction()
            for code, terms in chunk:
                tx.update(
                    code.code,
                    EnrollmentCodeItem(pk=keys.code_pk(code.code), sk=keys.CODE_SK),
                    _terms_actions(terms, now, terms_version),
                    _unredeemed(),
                )
            try:
                tx.commit()
            except TransactionCancelled as cancelled:
                redeemed = {code.code for code, _ in chunk if cancelled.failed(code.code)}
                if redeemed:
                    chunk = [(code, terms) for code, terms in chunk if code.code not in redeemed]
                    continue
                attempt = _after_collision(attempt, cancelled)
                continue
            done += len(chunk)
            break
    return done


def deactivate_codes(
    contract_id: int, product_id: int, codes: Sequence[EnrollmentCode], now: datetime
) -> int:
    """Deactivate unredeemed codes of one product, up to 99 codes and their counter per transaction.

    A code redeemed, claimed or reserved by a live pending order meanwhile fails its condition; it is
    dropped and the rest retried. Returns how many codes were deactivated.
    """
    return _move_status(
        contract_id,
        product_id,
        codes,
        now,
        status=CodeStatus.DEACTIVATED,
        condition=lambda code: _as_read(code, now),
    )


def retire_codes(contract_id: int, product_id: int, codes: Sequence[EnrollmentCode], now: datetime) -> int:
    """Retire used unlimited codes of one product (status only: redemptions kept), with their
    counter, up to 99 per transaction. Each write is conditional on the code being still live and
    unlimited; a code that changed meanwhile is dropped. Returns how many were retired."""
    still_unlimited = (EnrollmentCodeItem.status == CodeStatus.AVAILABLE.value) & (
        EnrollmentCodeItem.kind == CodeKind.UNLIMITED.value
    )
    return _move_status(
        contract_id, product_id, codes, now, status=CodeStatus.RETIRED, condition=lambda _: still_unlimited
    )


def _move_status(
    contract_id: int,
    product_id: int,
    codes: Sequence[EnrollmentCode],
    now: datetime,
    *,
    status: CodeStatus,
    condition: Callable[[EnrollmentCode], Any],
) -> int:
    """Move available codes of one product to ``status`` with their counter, up to 99 per
    transaction, each write under ``condition(code)``; a code whose condition fails is dropped and
    the rest of its chunk retried. Returns how many codes moved."""
    counted = {CodeStatus.DEACTIVATED: "deactivated", CodeStatus.RETIRED: "retired"}[status]
    done = 0
    for start in range(0, len(codes), DEACTIVATE_CHUNK):
        chunk = list(codes[start : start + DEACTIVATE_CHUNK])
        attempt = 0
        while chunk:
            tx = Transaction()
            for code in chunk:
                tx.update(
                    code.code,
                    EnrollmentCodeItem(pk=keys.code_pk(code.code), sk=keys.CODE_SK),
                    [*status_actions(contract_id, status), EnrollmentCodeItem.updated_at.set(now)],
                    condition(code),
                )
            tx.update(
                "counter",
                counter_item(contract_id, product_id),
                counter_actions(contract_id, product_id, available=-len(chunk), **{counted: len(chunk)}),
            )
            try:
                tx.commit()
            except TransactionCancelled as cancelled:
                changed = {code.code for code in chunk if cancelled.failed(code.code)}
                if changed:
                    chunk = [code for code in chunk if code.code not in changed]
                    continue
                attempt = _after_collision(attempt, cancelled)
                continue
            done += len(chunk)
            break
    return done


def _after_collision(attempt: int, cancelled: TransactionCancelled) -> int:
    """Pause before retrying a transaction another one collided with (:mod:`b2b.db.retry`); give up
    when it keeps colliding, or was cancelled for another reason (throttled after botocore's retries)."""
    if not (cancelled.conflicted and retry.retry_left(attempt)):
        raise Unavailable("the code writes kept colliding or being throttled; retry later") from cancelled
    retry.pause(attempt)
    return attempt + 1


@dataclass(frozen=True)
class IssuedCodes:
    """New codes of one product to add to its counter: sequence numbers ``previous_seq+1 .. seq``
    (those that exist) are ``count`` available codes."""

    contract_id: int
    product_id: int
    previous_seq: int
    seq: int
    count: int


def record_issued(issued: Sequence[IssuedCodes]) -> None:
    """Count newly written codes in their counters: one UpdateItem for one product, else one
    transaction per 100 counters (so generating codes costs few extra requests).

    Each counter update is conditional on ``issued_seq`` still being ``previous_seq``; a failure
    means another run moved it, and raises :class:`Conflict` (the message is retried).
    """
    if not issued:
        return
    if len(issued) == 1:
        only = issued[0]
        item = counter_item(only.contract_id, only.product_id)
        try:
            item.update(_issue_actions(only), condition=_issue_condition(only))
        except UpdateError as exc:
            if exc.cause_response_code == CONDITION_FAILED:
                raise Conflict("a code counter moved during reconciliation") from exc
            with translate_errors():
                raise
        return
    for start in range(0, len(issued), COUNTER_CHUNK):
        chunk = issued[start : start + COUNTER_CHUNK]
        attempt = 0
        while True:
            tx = Transaction()
            for entry in chunk:
                tx.update(
                    str(entry.product_id),
                    counter_item(entry.contract_id, entry.product_id),
                    _issue_actions(entry),
                    _issue_condition(entry),
                )
            try:
                tx.commit()
                break
            except TransactionCancelled as cancelled:
                if any(cancelled.failed(str(entry.product_id)) for entry in chunk):
                    raise Conflict("a code counter moved during reconciliation") from cancelled
                attempt = _after_collision(attempt, cancelled)


def _issue_actions(entry: IssuedCodes) -> list[Any]:
    return [
        *counter_actions(entry.contract_id, entry.product_id, available=entry.count),
        CodeCounterItem.issued_seq.set(entry.seq),
    ]


def _issue_condition(entry: IssuedCodes) -> Any:
    if entry.previous_seq == 0:
        return CodeCounterItem.issued_seq.does_not_exist() | (CodeCounterItem.issued_seq == 0)
    return CodeCounterItem.issued_seq == entry.previous_seq


def set_product_price(product_id: int, contract_id: int, price: Decimal) -> bool:
    """Set a product's price, if it still belongs to ``contract_id``; False otherwise."""
    item = ProductItem(pk=keys.product_pk(product_id), sk=keys.PRODUCT_SK)
    try:
        item.update(
            [ProductItem.price.set(price)],
            condition=ProductItem.pk.exists() & (ProductItem.contract_id == contract_id),
        )
    except UpdateError as exc:
        if exc.cause_response_code == CONDITION_FAILED:
            return False
        with translate_errors():
            raise
    return True
