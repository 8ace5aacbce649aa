"""Attaching and detaching courseware: contract runs, products, guards, and the requests it costs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from b2b.api.errors import status_of
from b2b.db import catalog as catalog_repo
from b2b.db import products
from b2b.domain.courseware import CloneStatus
from b2b.domain.errors import Conflict, NotFound
from b2b.domain.model import MembershipType, utcnow
from b2b.services import catalog, contracts, courseware, organizations

from tests.courseware_helpers import source_course

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


def new_contract(unique: str, **fields):
    org = organizations.register_organization(name=f"Courseware {unique} {fields.pop('suffix', '')}")
    return org, contracts.create_contract(
        organization_id=org.id, name="Contract", membership_type=MembershipType.CODE, **fields
    )


def test_a_course_becomes_one_dated_contract_run_with_a_product(unique):
    # Given a dated, priced contract and a course with a SOURCE run
    start, end = datetime(2026, 9, 1, tzinfo=UTC), datetime(2027, 6, 1, tzinfo=UTC)
    org, contract = new_contract(unique, start=start, end=end, price=Decimal("25.00"))
    course_id = source_course(unique)
    # When the course is attached
    attachment = courseware.attach_courseware(contract.id, course_id)
    # Then one self-paced, live run is created under the contract's key, copying the SOURCE run
    [run] = attachment.created_runs
    year = utcnow().year
    number = course_id.split("+")[1]
    assert run.id == f"course-v1:UAI_{org.org_key}+{number}+{year}_C{contract.id}"
    assert (run.start, run.end, run.self_paced, run.live) == (start, end, True, True)
    assert run.source_run_id == f"{course_id}+SOURCE"
    assert run.clone_status is CloneStatus.NOT_REQUESTED  # no Open edX settings in the tests
    assert attachment.warnings == []
    # And one product at the contract's price, dated like the run
    [product] = products.list_products(contract.id)
    assert (product.run_id, product.course_id, product.price) == (run.id, course_id, Decimal("25.00"))
    assert (product.run_start, product.run_end) == (start, end)
    # And the listing shows the run with its product
    view = courseware.list_courseware(contract.id, 50, None)
    assert [r.id for r in view.runs] == [run.id]
    assert view.products[product.id].price == Decimal("25.00")
    assert [link.courseware_id for link in view.links] == [course_id]


def test_attaching_a_course_twice_makes_one_run(unique, ddb_requests):
    _, contract = new_contract(unique)
    course_id = source_course(unique)
    assert len(courseware.attach_courseware(contract.id, course_id).created_runs) == 1
    ddb_requests.reset()
    again = courseware.attach_courseware(contract.id, course_id)
    assert ddb_requests.calls == ["BatchGetItem"]  # read, found everything in place, wrote nothing
    assert again.created_runs == []
    assert not again.changed
    assert len(products.list_products(contract.id)) == 1


def test_open_ended_contract_runs_start_now_and_first_run_is_a_fallback(unique):
    # Given an open-ended free contract and a course with no SOURCE run
    _, contract = new_contract(unique)
    course_id = source_course(unique, runs=("1T2025", "2T2025"))
    before = utcnow()
    # When the course is attached
    attachment = courseware.attach_courseware(contract.id, course_id)
    # Then the run starts now, has no end, copies the first run, and the operator is warned
    [run] = attachment.created_runs
    assert run.start is not None
    assert run.start >= before
    assert run.end is None
    assert run.source_run_id == f"{course_id}+1T2025"
    assert "no SOURCE run" in attachment.warnings[0]
    assert products.list_products(contract.id)[0].price == Decimal("0")


def test_program_of_three_with_one_attached_makes_two_runs_then_none(unique):
    # Given a program of three courses, one of which the contract already has
    _, contract = new_contract(unique)
    course_ids = [source_course(unique, n) for n in ("P1", "P2", "P3")]
    program_id = f"program-v1:UAI+PROG{unique}"
    catalog.register_program(program_id, course_ids)
    courseware.attach_courseware(contract.id, course_ids[1])
    # When the program is attached
    attachment = courseware.attach_courseware(contract.id, program_id)
    # Then exactly the two missing courses get runs
    assert sorted(r.course_id for r in attachment.created_runs) == [course_ids[0], course_ids[2]]
    assert attachment.skipped_course_ids == [course_ids[1]]
    # And attaching it again creates nothing
    again = courseware.attach_courseware(contract.id, program_id)
    assert again.created_runs == []
    assert len(again.skipped_course_ids) == 3
    assert len(products.list_products(contract.id)) == 3
    view = courseware.list_courseware(contract.id, 50, None)
    assert {link.courseware_id for link in view.links} == {course_ids[1], program_id}


def test_a_run_of_contract_a_cannot_go_to_contract_b(unique, ddb_requests):
    # Given a catalog run assigned to contract A
    _, contract_a = new_contract(unique, suffix="A")
    _, contract_b = new_contract(unique, suffix="B")
    course_id = source_course(unique, runs=("1T2026",))
    run_id = f"{course_id}+1T2026"
    assigned = courseware.attach_courseware(contract_a.id, run_id)
    assert [r.id for r in assigned.assigned_runs] == [run_id]
    # When it is attached to contract B
    ddb_requests.reset()
    with pytest.raises(Conflict) as conflict:
        courseware.attach_courseware(contract_b.id, run_id)
    # Then it is a 409 and nothing was written
    assert status_of(conflict.value) == 409
    assert conflict.value.code == "course_run_assigned"
    assert not WRITES & set(ddb_requests.calls)
    assert catalog_repo.get_run(run_id).contract_id == contract_a.id
    assert products.list_products(contract_b.id) == []
    assert courseware.list_courseware(contract_b.id, 50, None).runs == []


def test_create_runs_false_records_the_link_only(unique):
    _, contract = new_contract(unique)
    course_id = source_course(unique)
    attachment = courseware.attach_courseware(contract.id, course_id, create_runs=False)
    assert attachment.created_runs == []
    assert attachment.linked
    view = courseware.list_courseware(contract.id, 50, None)
    assert view.runs == []
    assert [link.runs_created for link in view.links] == [False]
    assert products.list_products(contract.id) == []


def test_detach_unlinks_runs_but_keeps_them(unique):
    # Given a contract with an attached course
    _, contract = new_contract(unique)
    course_id = source_course(unique)
    [run] = courseware.attach_courseware(contract.id, course_id).created_runs
    # When the course is detached
    unlinked = courseware.detach_courseware(contract.id, course_id)
    # Then its run leaves the contract but stays in the catalog, and its product is inactive
    assert [r.id for r in unlinked] == [run.id]
    kept = catalog_repo.get_run(run.id)
    assert kept.contract_id is None
    view = courseware.list_courseware(contract.id, 50, None)
    assert view.runs == []
    assert view.links == []
    assert [p.active for p in products.list_products(contract.id)] == [False]
    # And the kept run can be given back as a run
    back = courseware.attach_courseware(contract.id, run.id)
    assert [r.id for r in back.assigned_runs] == [run.id]
    with pytest.raises(NotFound):
        courseware.detach_courseware(contract.id, f"program-v1:UAI+NONE{unique}")


def test_unknown_contract_or_courseware_is_404(unique):
    _, contract = new_contract(unique)
    with pytest.raises(NotFound) as no_contract:
        courseware.attach_courseware(999_999_999, source_course(unique))
    assert no_contract.value.code == "contract_not_found"
    with pytest.raises(NotFound) as no_course:
        courseware.attach_courseware(contract.id, f"course-v1:NO+SUCH{unique}")
    assert no_course.value.code == "course_not_found"
    with pytest.raises(NotFound):
        courseware.list_courseware(999_999_999, 50, None)


def test_program_of_twenty_costs_about_what_one_course_costs(unique, ddb_requests):
    # Given one course and a program of twenty
    _, single = new_contract(unique, suffix="one")
    _, bulk = new_contract(unique, suffix="twenty")
    lone = source_course(unique, "LONE")
    course_ids = [source_course(unique, f"C{i:02d}") for i in range(20)]
    program_id = f"program-v1:UAI+TWENTY{unique}"
    catalog.register_program(program_id, course_ids)
    # When each is attached
    ddb_requests.reset()
    courseware.attach_courseware(single.id, lone)
    one_course = list(ddb_requests.calls)
    ddb_requests.reset()
    attachment = courseware.attach_courseware(bulk.id, program_id)
    program = list(ddb_requests.calls)
    # Then the program needs no more requests than a single course does (plus one read)
    assert len(attachment.created_runs) == 20
    assert len(one_course) <= 4, one_course
    assert len(program) <= len(one_course) + 1, program
    assert program.count("TransactWriteItems") == 1


def test_a_program_too_big_for_one_transaction_is_split(unique, ddb_requests):
    # Given a program of 40 courses (121 operations: more than one transaction takes)
    _, contract = new_contract(unique)
    course_ids = [source_course(unique, f"B{i:02d}") for i in range(40)]
    program_id = f"program-v1:UAI+BIG{unique}"
    catalog.register_program(program_id, course_ids)
    # When it is attached
    ddb_requests.reset()
    attachment = courseware.attach_courseware(contract.id, program_id)
    # Then every course gets its run, in two transactions
    assert len(attachment.created_runs) == 40
    assert ddb_requests.calls.count("TransactWriteItems") == 2
    assert len(products.list_products(contract.id)) == 40
    assert len(courseware.list_courseware(contract.id, 100, None).runs) == 40


def test_a_course_attached_again_after_detach_gets_its_kept_run_back(unique):
    # Given a course attached to a contract, then detached (its run is kept)
    _, contract = new_contract(unique)
    course_id = source_course(unique)
    [run] = courseware.attach_courseware(contract.id, course_id).created_runs
    courseware.detach_courseware(contract.id, course_id)
    # When the course is attached again in the same year (the run key is the same)
    again = courseware.attach_courseware(contract.id, course_id)
    # Then the kept run is given back rather than a clash on its key
    assert again.created_runs == []
    assert [r.id for r in again.assigned_runs] == [run.id]
    assert catalog_repo.get_run(run.id).contract_id == contract.id
    assert sorted(p.active for p in products.list_products(contract.id)) == [False, True]
    assert [r.id for r in courseware.list_courseware(contract.id, 50, None).runs] == [run.id]


@pytest.fixture
def reconcile_queue(resources):
    """A FIFO queue of the test's own standing in for the reconcile queue (nothing else reads it)."""
    import uuid

    import boto3
    from b2b.settings import get_settings

    sqs = boto3.client("sqs", endpoint_url=resources.endpoint_url, region_name="us-east-1")
    url = sqs.create_queue(
        QueueName=f"reconcile-test-{uuid.uuid4().hex[:8]}.fifo", Attributes={"FifoQueue": "true"}
    )["QueueUrl"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RECONCILE_QUEUE_URL", url)
        get_settings.cache_clear()

        def drain() -> list[str]:
            # FIFO: a message left in flight would hold back the rest of its group, so delete each.
            bodies = []
            while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
                for message in messages:
                    bodies.append(message["Body"])
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            return bodies

        yield drain
    get_settings.cache_clear()


def test_every_courseware_change_asks_for_a_reconciliation(unique, reconcile_queue):
    import json

    # Given a contract (its creation message drained)
    _, contract = new_contract(unique)
    reconcile_queue()
    course_id = source_course(unique)
    # When a course is attached, attached again (no change), then detached
    courseware.attach_courseware(contract.id, course_id)
    courseware.attach_courseware(contract.id, course_id)
    courseware.detach_courseware(contract.id, course_id)
    # Then two reconcile requests name the contract and the reason
    bodies = [json.loads(b) for b in reconcile_queue()]
    assert [(b["contract_id"], b["reason"]) for b in bodies] == [(contract.id, "courseware_changed")] * 2
    assert all(b["contract_version"] == contract.version for b in bodies)


def test_concurrent_attaches_of_one_course_make_one_run(unique):
    from concurrent.futures import ThreadPoolExecutor

    # Given a contract and a course
    _, contract = new_contract(unique)
    course_id = source_course(unique)
    # When five operators attach the course at the same moment
    with ThreadPoolExecutor(max_workers=5) as pool:
        attachments = list(pool.map(lambda _: courseware.attach_courseware(contract.id, course_id), range(5)))
    # Then exactly one run and one product exist, and every request succeeded
    assert sum(len(a.created_runs) for a in attachments) == 1
    assert len(courseware.list_courseware(contract.id, 50, None).runs) == 1
    assert len(products.list_products(contract.id)) == 1


def test_a_split_attachment_stopped_halfway_keeps_and_reports_its_first_part(unique):
    # Given a program of 40 courses, and a foreign run already holding the key the 40th run needs
    org, contract = new_contract(unique)
    course_ids = [source_course(unique, f"H{i:02d}") for i in range(40)]
    program_id = f"program-v1:UAI+HALF{unique}"
    catalog.register_program(program_id, course_ids)
    number = course_ids[-1].split("+")[1]
    blocker = f"course-v1:UAI_{org.org_key}+{number}+{utcnow().year}_C{contract.id}"
    catalog.register_run(run_id=blocker, course_id=course_ids[0])
    # When the program is attached
    with pytest.raises(Conflict) as clash:
        courseware.attach_courseware(contract.id, program_id)
    # Then the clash names the key, and the first transaction's 33 runs stay with their products
    assert clash.value.code == "run_key_taken"
    assert blocker in clash.value.message
    assert len(products.list_products(contract.id)) == 33
    assert len(courseware.list_courseware(contract.id, 100, None).runs) == 33
