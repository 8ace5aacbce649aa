"""Changing catalog entries through the admin handler: titles, run dates, a program's courses."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from admin_api.handler import lambda_handler

from tests.factories import admin_claims, call, generate_api_gw_event


def _admin(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return call(lambda_handler, generate_api_gw_event(method, path, body, claims=admin_claims()))


def _listed(path: str, key: str, wanted: str, query: dict[str, str] | None = None) -> dict[str, Any]:
    cursor: str | None = None
    while True:
        params = (query or {}) | {"limit": "100"} | ({"cursor": cursor} if cursor else {})
        page = call(
            lambda_handler, generate_api_gw_event("GET", path, query=params, claims=admin_claims())
        ).body
        for item in page["items"]:
            if item[key] == wanted:
                return dict(item)
        cursor = page["next_cursor"]
        assert cursor, f"{wanted} not listed at {path}"


def test_a_course_is_retitled_under_its_id_plain_or_percent_encoded(unique):
    # Given a registered course
    course_id = f"course-v1:UAI+T{unique}"
    assert _admin("POST", "/v1/catalog/courses", {"course_id": course_id, "title": "Old"}).status == 201
    # When it is retitled, once with the id as is and once percent-encoded
    plain = _admin("PATCH", f"/v1/catalog/courses/{course_id}", {"title": "Calculus"})
    encoded = _admin("PATCH", f"/v1/catalog/courses/{quote(course_id, safe='')}", {"title": "Calculus II"})
    # Then both answer the course, and the list shows the last title
    assert plain.status == 200, plain.body
    assert plain.body["title"] == "Calculus"
    assert encoded.status == 200, encoded.body
    assert _listed("/v1/catalog/courses", "course_id", course_id)["title"] == "Calculus II"


def test_changing_an_unknown_course_is_404_and_writes_nothing(unique):
    course_id = f"course-v1:UAI+NONE{unique}"
    answer = _admin("PATCH", f"/v1/catalog/courses/{course_id}", {"title": "Ghost"})
    assert answer.status == 404
    assert answer.body["error"]["code"] == "course_not_found"
    listed = call(
        lambda_handler,
        generate_api_gw_event("GET", "/v1/catalog/courses", query={"limit": "1000"}, claims=admin_claims()),
    ).body["items"]
    assert course_id not in {c["course_id"] for c in listed}


def test_a_run_changes_dates_and_pacing_but_not_its_identity(unique):
    # Given a course with a run
    course_id = f"course-v1:UAI+R{unique}"
    run_id = f"{course_id}+2027_T1"
    _admin("POST", "/v1/catalog/courses", {"course_id": course_id})
    created = _admin(
        "POST",
        "/v1/catalog/course-runs",
        {"run_id": run_id, "start": "2027-01-10T00:00:00Z", "end": "2027-05-01T00:00:00Z"},
    )
    assert created.status == 201, created.body
    # When its end moves, it becomes self-paced and is retitled
    changed = _admin(
        "PATCH",
        f"/v1/catalog/course-runs/{run_id}",
        {"end": "2027-06-01T00:00:00Z", "self_paced": True, "title": "Spring"},
    )
    # Then the run shows the changes and keeps its course and tag
    assert changed.status == 200, changed.body
    assert changed.body["end"].startswith("2027-06-01")
    assert changed.body["self_paced"] is True
    assert (changed.body["course_id"], changed.body["run_tag"]) == (course_id, "2027_T1")
    listed = _listed("/v1/catalog/course-runs", "run_id", run_id, {"course_id": course_id})
    assert listed["title"] == "Spring" and listed["start"].startswith("2027-01-10")
    # And null removes a date
    cleared = _admin("PATCH", f"/v1/catalog/course-runs/{run_id}", {"start": None})
    assert cleared.status == 200 and cleared.body["start"] is None


def test_a_run_change_that_ends_before_it_starts_names_end_and_changes_nothing(unique):
    course_id = f"course-v1:UAI+E{unique}"
    run_id = f"{course_id}+X"
    _admin("POST", "/v1/catalog/courses", {"course_id": course_id})
    _admin("POST", "/v1/catalog/course-runs", {"run_id": run_id, "start": "2027-03-01T00:00:00Z"})
    refused = _admin(
        "PATCH", f"/v1/catalog/course-runs/{run_id}", {"end": "2027-02-01T00:00:00Z", "title": "T"}
    )
    assert refused.status == 422
    assert refused.body["error"]["details"][0]["field"] == "end"
    after = _listed("/v1/catalog/course-runs", "run_id", run_id, {"course_id": course_id})
    assert after["end"] is None and after["title"] == ""
    for body, field in (({"self_paced": None}, "self_paced"), ({"run_tag": "Z"}, "run_tag")):
        bad = _admin("PATCH", f"/v1/catalog/course-runs/{run_id}", body)
        assert bad.status == 422, body
        assert field in str(bad.body["error"]), bad.body


def test_a_program_gains_a_course_only_when_it_is_in_the_catalog(unique):
    # Given a program of one course, and a second course in the catalog
    first, second = f"course-v1:UAI+P1{unique}", f"course-v1:UAI+P2{unique}"
    program_id = f"program-v1:UAI+PR{unique}"
    for course in (first, second):
        _admin("POST", "/v1/catalog/courses", {"course_id": course})
    assert (
        _admin("POST", "/v1/catalog/programs", {"program_id": program_id, "course_ids": [first]}).status
        == 201
    )
    # When a course that is not in the catalog is added, the change is refused naming it
    ghost = f"course-v1:UAI+GHOST{unique}"
    refused = _admin("PATCH", f"/v1/catalog/programs/{program_id}", {"course_ids": [first, ghost]})
    assert refused.status == 422
    assert refused.body["error"]["details"][0]["field"] == "course_ids.0"
    assert _listed("/v1/catalog/programs", "program_id", program_id)["course_ids"] == [first]
    # When the catalog course is added and the title changes, both are kept, in order
    changed = _admin(
        "PATCH", f"/v1/catalog/programs/{program_id}", {"course_ids": [second, first], "title": "Math"}
    )
    assert changed.status == 200, changed.body
    listed = _listed("/v1/catalog/programs", "program_id", program_id)
    assert (listed["course_ids"], listed["title"]) == ([second, first], "Math")
    # And an unknown program is 404
    missing = _admin("PATCH", f"/v1/catalog/programs/program-v1:UAI+NO{unique}", {"title": "x"})
    assert missing.status == 404 and missing.body["error"]["code"] == "program_not_found"
