"""Item changes → business events: one mapper per item kind, every event valid against its schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from b2b.domain import events
from b2b.domain.events import ItemChange, events_of
from b2b_local.filters import passes
from b2b_local.template import read_template
from jsonschema import ValidationError

from tests.event_schemas import EVENTS_DIR, envelope, validate

AT = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
STORED_AT = "2026-05-01T09:59:59.500000+0000"


def change(old=None, new=None) -> ItemChange:
    return ItemChange(change_id="rec-1", at=AT, old=old, new=new)


def membership(**extra):
    return {
        "entity": "membership",
        "contract_id": Decimal(7),
        "user_id": "ana",
        "source": "code",
        "code": "SECRETCODE123456",
        "attached_at": STORED_AT,
    } | extra


def enrollment(**extra):
    return {
        "entity": "enrollment",
        "user_id": "ana",
        "run_id": "course-v1:UAI_X+1+2026_C7",
        "contract_id": Decimal(7),
        "product_id": Decimal(40),
        "source": "checkout",
        "status": "active",
        "enrolled_at": STORED_AT,
    } | extra


def code(**extra):
    return {
        "entity": "code",
        "code": "ABCDEFGH12347KQ2",
        "contract_id": Decimal(7),
        "product_id": Decimal(40),
        "kind": "one_time",
        "status": "available",
        "redemptions": Decimal(0),
    } | extra


def contract(**extra):
    return {
        "entity": "contract",
        "contract_id": Decimal(7),
        "organization_id": Decimal(3),
        "name": "Acme",
        "membership_type": "code",
        "max_learners": Decimal(200),
        "active": True,
        "start": STORED_AT,
    } | extra


def link(**extra):
    return {
        "entity": "courseware_link",
        "contract_id": Decimal(7),
        "courseware_id": "course-v1:UAI+X",
        "kind": "course",
    } | extra


def only(change_: ItemChange):
    (event,) = events_of(change_)
    validate(envelope(event.detail_type, event.detail))
    return event


def test_membership_created_and_removed_are_attached_and_detached_with_their_path():
    # Given a membership put and later deleted
    attached = only(change(new=membership(source="sso")))
    detached = only(change(old=membership(source="admin")))
    # Then they are attached/detached events naming the contract, learner and path, never the code
    assert (attached.detail_type, attached.detail["source"]) == (events.LEARNER_ATTACHED, "sso")
    assert attached.detail["attached_at"] == "2026-05-01T09:59:59.500000Z"
    assert (detached.detail_type, detached.detail["source"]) == (events.LEARNER_DETACHED, "admin")
    assert "SECRETCODE123456" not in json.dumps(attached.detail)


def test_enrollment_created_ended_and_enrolled_again():
    created = only(change(new=enrollment()))
    ended = only(change(old=enrollment(), new=enrollment(status="unenrolled")))
    again = only(change(old=enrollment(status="unenrolled"), new=enrollment()))
    assert created.detail_type == events.ENROLLMENT_CREATED
    assert created.detail["reenrolled"] is False
    assert (created.detail["contract_id"], created.detail["product_id"]) == (7, 40)
    assert ended.detail_type == events.ENROLLMENT_ENDED
    assert (again.detail_type, again.detail["reenrolled"]) == (events.ENROLLMENT_CREATED, True)
    assert all(e.is_enrollment for e in (created, ended, again))


def test_the_lms_sync_writing_its_state_means_nothing_outside():
    # Given the sync worker recording its result on an enrollment (status unchanged)
    synced = enrollment(lms_state="synced", lms_status="active")
    # Then no event
    assert events_of(change(old=enrollment(), new=synced)) == []


def test_a_code_is_redeemed_once_per_use():
    one_time = only(
        change(old=code(), new=code(status="redeemed", redemptions=Decimal(1), redeemed_by="ana"))
    )
    unlimited = only(
        change(
            old=code(kind="unlimited", redemptions=Decimal(4)),
            new=code(kind="unlimited", redemptions=Decimal(5)),
        )
    )
    assert (one_time.detail_type, one_time.detail["redeemed_by"]) == (events.CODE_REDEEMED, "ana")
    assert one_time.detail["code_suffix"] == "7KQ2"
    assert "ABCDEFGH12347KQ2" not in json.dumps(one_time.detail)
    assert unlimited.detail["redemptions"] == 5
    # And code writes that are not a use (issued, repriced, deactivated, retired) mean nothing
    assert events_of(change(new=code())) == []
    assert events_of(change(old=code(), new=code(amount=Decimal("9.5")))) == []
    assert events_of(change(old=code(), new=code(status="deactivated"))) == []
    used = code(kind="unlimited", redemptions=Decimal(5))
    assert events_of(change(old=used, new=used | {"status": "retired"})) == []


def test_contract_created_changed_and_deactivated():
    created = only(change(new=contract()))
    repriced = only(change(old=contract(), new=contract(price=Decimal("49.50"), version=Decimal(2))))
    deactivated = only(change(old=contract(), new=contract(active=False)))
    assert created.detail["terms"]["max_learners"] == 200
    assert created.detail["terms"]["start"] == "2026-05-01T09:59:59.500000Z"
    assert (repriced.detail_type, repriced.detail["changed"]) == (events.CONTRACT_CHANGED, ["price"])
    assert (repriced.detail["before"]["price"], repriced.detail["terms"]["price"]) == (None, "49.50")
    assert deactivated.detail_type == events.CONTRACT_DEACTIVATED
    # And an edit that leaves the terms alone (name, welcome message) is no event
    assert events_of(change(old=contract(), new=contract(name="Acme 2", welcome_message="hi"))) == []


def test_courseware_attached_and_detached():
    attached = only(change(new=link(kind="program", courseware_id="program-v1:X")))
    detached = only(change(old=link()))
    assert (attached.detail_type, attached.detail["kind"]) == (events.COURSEWARE_ATTACHED, "program")
    assert detached.detail_type == events.COURSEWARE_DETACHED


@pytest.mark.parametrize(
    "kind", ["seats", "code_counter", "audit", "checkout_result", "order", "terms_version", "lms_account"]
)
def test_kinds_without_a_mapper_mean_nothing(kind):
    assert events_of(change(new={"entity": kind, "contract_id": Decimal(1)})) == []
    assert events_of(change(old={"entity": kind}, new={"entity": kind, "x": 1})) == []


@pytest.mark.parametrize("detail_type", events.EVENT_TYPES)
def test_every_event_type_has_a_schema_and_a_valid_example(detail_type):
    # Given the example next to the schema
    example = json.loads((EVENTS_DIR / "examples" / f"{detail_type}.json").read_text())
    # Then it validates, and the schema refuses a detail missing its change id
    validate(example)
    broken = example | {"detail": {k: v for k, v in example["detail"].items() if k != "change_id"}}
    with pytest.raises(ValidationError):
        validate(broken)


def test_the_schemas_are_exactly_the_event_types():
    files = {p.name.removesuffix(".schema.json") for p in EVENTS_DIR.glob("*.schema.json")}
    assert files == set(events.EVENT_TYPES)


def stream_record(event_name: str, old=None, new=None) -> dict:
    def image(item):
        return {
            k: ({"N": str(v)} if isinstance(v, Decimal) else {"S": v})
            for k, v in item.items()
            if isinstance(v, (str, Decimal))
        }

    record = {"eventName": event_name, "dynamodb": {}}
    if old:
        record["dynamodb"]["OldImage"] = image(old)
    if new:
        record["dynamodb"]["NewImage"] = image(new)
    return record


def test_the_template_filter_lets_through_exactly_the_mapped_kinds():
    # Given the publisher's filter criteria in template.yaml
    (subscription,) = read_template().streams
    filters = list(subscription.filters)
    # Then every mapped kind passes when created, and no other kind does
    for kind in events.MAPPERS:
        item = {"entity": kind, "redemptions": Decimal(1)} if kind == "code" else {"entity": kind}
        assert passes(filters, stream_record("INSERT", new=item)), kind
    for kind in ("seats", "audit", "code_counter", "checkout_result", "lms_account", "order"):
        assert not passes(filters, stream_record("INSERT", new={"entity": kind})), kind
    # And codes pass only once used, removals only for memberships and courseware links
    assert not passes(filters, stream_record("MODIFY", new={"entity": "code", "redemptions": Decimal(0)}))
    assert passes(filters, stream_record("REMOVE", old={"entity": "membership"}))
    assert passes(filters, stream_record("REMOVE", old={"entity": "courseware_link"}))
    assert not passes(filters, stream_record("REMOVE", old={"entity": "enrollment"}))
