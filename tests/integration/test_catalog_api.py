"""The catalog and courseware routes through the admin handler: bad input names its field, unknown ids are 404."""

from __future__ import annotations

from admin_api.handler import lambda_handler

from tests.factories import admin_claims, call, generate_api_gw_event


def test_catalog_routes_name_the_bad_field(unique):
    bad_course = call(
        lambda_handler,
        generate_api_gw_event("POST", "/v1/catalog/courses", {"course_id": "18.01x"}, claims=admin_claims()),
    )
    assert bad_course.status == 422
    assert bad_course.body["error"]["details"][0]["field"] == "course_id"
    unknown_course = call(
        lambda_handler,
        generate_api_gw_event(
            "POST",
            "/v1/catalog/programs",
            {"program_id": f"program-v1:UAI+P{unique}", "course_ids": [f"course-v1:NO+C{unique}"]},
            claims=admin_claims(),
        ),
    )
    assert unknown_course.status == 422
    assert unknown_course.body["error"]["details"][0]["field"] == "course_ids.0"
    extra = call(
        lambda_handler,
        generate_api_gw_event(
            "POST", "/v1/catalog/course-runs", {"run_id": "x", "colour": "red"}, claims=admin_claims()
        ),
    )
    assert extra.status == 422
    bad_filter = call(
        lambda_handler,
        generate_api_gw_event(
            "GET", "/v1/catalog/course-runs", query={"course_id": "nope"}, claims=admin_claims()
        ),
    )
    assert bad_filter.status == 422


def test_courseware_of_an_unknown_contract_is_404(unique):
    listed = call(
        lambda_handler,
        generate_api_gw_event("GET", "/v1/contracts/987654321/courseware", claims=admin_claims()),
    )
    assert listed.status == 404
    assert listed.body["error"]["code"] == "contract_not_found"
    attached = call(
        lambda_handler,
        generate_api_gw_event(
            "POST",
            "/v1/contracts/987654321/courseware",
            {"courseware_id": "course-v1:A+B"},
            claims=admin_claims(),
        ),
    )
    assert attached.status == 404
