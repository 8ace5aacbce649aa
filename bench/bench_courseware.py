"""Courseware: DynamoDB requests to attach a course and a program of 20, and to list a contract's courseware."""

from __future__ import annotations

import uuid

from bench.harness import Row, count_requests, median, percentile, start_environment, timed

SECTION = "Courseware (issue 3)"
PROGRAM_SIZE = 20
ROUNDS = 10


def _calls(calls: list[str]) -> str:
    counts: dict[str, int] = {}
    for call in calls:
        counts[call] = counts.get(call, 0) + 1
    return ", ".join(f"{name} ×{n}" if n > 1 else name for name, n in counts.items())


def run() -> list[Row]:
    start_environment()
    from b2b.domain.model import MembershipType
    from b2b.services import catalog, contracts, courseware, organizations

    tag = uuid.uuid4().hex[:8].upper()
    org = organizations.register_organization(name=f"Bench Courseware {tag}")

    def contract(name: str) -> int:
        return contracts.create_contract(
            organization_id=org.id, name=name, membership_type=MembershipType.CODE, max_learners=200
        ).id

    def course(number: str) -> str:
        course_id = f"course-v1:UAI_SOURCE+{number}{tag}"
        catalog.register_course(course_id, number)
        catalog.register_run(run_id=f"{course_id}+SOURCE")
        return course_id

    single = course("ONE")
    program_courses = [course(f"P{i:02d}") for i in range(PROGRAM_SIZE)]
    program_id = f"program-v1:UAI+BENCH{tag}"
    catalog.register_program(program_id, program_courses)

    one_contract, program_contract = contract("one course"), contract("program")
    with count_requests() as one:
        courseware.attach_courseware(one_contract, single)
    with count_requests() as many:
        courseware.attach_courseware(program_contract, program_id)
    with count_requests() as again:
        courseware.attach_courseware(program_contract, program_id)
    with count_requests() as listed:
        view = courseware.list_courseware(program_contract, 100, None)
    assert len(view.runs) == PROGRAM_SIZE

    # Latency of attaching one course (moto on 127.0.0.1: relative, not DynamoDB's figures).
    targets = [(contract(f"timed {i}"), course(f"T{i:02d}")) for i in range(ROUNDS)]
    pending = iter(targets)
    samples = timed(lambda: courseware.attach_courseware(*next(pending)), ROUNDS)

    ratio = len(many.calls) / len(one.calls)
    return [
        Row(
            SECTION,
            "DynamoDB requests: attach one course",
            str(len(one.calls)),
            "≤ 4",
            len(one.calls) <= 4,
            _calls(one.calls),
        ),
        Row(
            SECTION,
            f"DynamoDB requests: attach a program of {PROGRAM_SIZE} courses",
            f"{len(many.calls)} ({ratio:.2f}× one course)",
            f"≤ one course + 1, not {PROGRAM_SIZE}×",
            len(many.calls) <= len(one.calls) + 1,
            _calls(many.calls),
        ),
        Row(
            SECTION,
            f"TransactWriteItems for a program of {PROGRAM_SIZE} ({PROGRAM_SIZE * 3 + 2} operations)",
            str(many.calls.count("TransactWriteItems")),
            "= 1",
            many.calls.count("TransactWriteItems") == 1,
            "run + guard + product per course, contract check, program link",
        ),
        Row(
            SECTION,
            "DynamoDB requests: attach the same program again (nothing to do)",
            str(len(again.calls)),
            "no writes",
            "TransactWriteItems" not in again.calls and "UpdateItem" not in again.calls,
            _calls(again.calls),
        ),
        Row(
            SECTION,
            f"DynamoDB requests: list a contract's courseware ({PROGRAM_SIZE} runs with products)",
            str(len(listed.calls)),
            "= 2",
            len(listed.calls) == 2,
            _calls(listed.calls),
        ),
        Row(
            SECTION,
            "attach one course, wall time on moto",
            f"p50 {median(samples) * 1000:.0f} ms, p95 {percentile(samples, 95) * 1000:.0f} ms",
            "",
            None,
            f"{ROUNDS} attaches; includes the SQS publish of the reconcile message",
        ),
    ]
