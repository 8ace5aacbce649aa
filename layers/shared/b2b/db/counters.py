"""Atomic counters that hand out human-typeable integer ids."""

from __future__ import annotations

from pynamodb.constants import UPDATED_NEW

from b2b.db import keys
from b2b.db.errors import translate_errors
from b2b.db.models import CounterItem


def next_id(name: str) -> int:
    """Return the next integer of counter ``name`` (1, 2, 3, …) with one atomic UpdateItem.

    Ids taken by a write that later fails are not reused; gaps are harmless.
    """
    connection = CounterItem._get_connection()
    with translate_errors():
        response = connection.update_item(
            keys.counter_pk(name),
            range_key=keys.COUNTER_SK,
            actions=[
                CounterItem.entity.set(CounterItem),
                CounterItem.value.add(1),
            ],
            return_values=UPDATED_NEW,
        )
    return int(response["Attributes"]["value"]["N"])
