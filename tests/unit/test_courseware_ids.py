"""Readable ids, contract run keys and the cloner's sample event (pure rules, no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.data_classes import SQSEvent
from b2b.domain.courseware import CoursewareKind
from b2b.domain.errors import InvalidInput
from b2b.queues import CloneRunRequest
from b2b.services.catalog import contract_run_key, parse_courseware_id

EVENTS = Path(__file__).resolve().parents[2] / "events"


@pytest.mark.parametrize(
    ("value", "kind", "course_id"),
    [
        ("course-v1:UAI_SOURCE+14.100x", CoursewareKind.COURSE, "course-v1:UAI_SOURCE+14.100x"),
        ("course-v1:UAI_SOURCE+14.100x+SOURCE", CoursewareKind.COURSE_RUN, "course-v1:UAI_SOURCE+14.100x"),
        ("course-v1:MITx+6.00.1x+1T2026", CoursewareKind.COURSE_RUN, "course-v1:MITx+6.00.1x"),
        ("program-v1:MITx+DEDP", CoursewareKind.PROGRAM, None),
    ],
)
def test_kinds_of_readable_ids(value, kind, course_id):
    parsed = parse_courseware_id(value)
    assert parsed.kind is kind
    if course_id:
        assert parsed.course_id == course_id


@pytest.mark.parametrize(
    "value",
    [
        "",
        "14.100x",
        "course-v1:UAI_SOURCE",
        "course-v1:A+B+C+D",
        "course-v1:A B+C",
        "course-v1:A+B#C",
        "program-v1:ONLYONE",
        "ccx-v1:A+B+C",
        "course-v1:A+" + "x" * 300,
    ],
)
def test_other_ids_are_refused_naming_the_field(value):
    with pytest.raises(InvalidInput) as refused:
        parse_courseware_id(value)
    assert refused.value.details[0].field == "courseware_id"


def test_contract_run_key_follows_the_seed_format():
    assert (
        contract_run_key("UAI_", "UNIVERSITYX", "18.01x", 2026, 12)
        == "course-v1:UAI_UNIVERSITYX+18.01x+2026_C12"
    )
    parsed = parse_courseware_id(contract_run_key("", "ORG", "N", 2027, 3))
    assert (parsed.kind, parsed.run_tag) == (CoursewareKind.COURSE_RUN, "2027_C3")


def test_the_sample_cloner_event_carries_a_clone_request():
    event = SQSEvent(json.loads((EVENTS / "courseware_cloner_sqs.json").read_text()))
    [record] = list(event.records)
    request = CloneRunRequest.model_validate_json(record.body)
    assert request.contract_id == 12
    assert parse_courseware_id(request.run_id).kind is CoursewareKind.COURSE_RUN
