"""The LMS sync worker against moto and a fake Open edX LMS on 127.0.0.1: retries, refusals,
redeliveries and overtaking changes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from admin_api.handler import lambda_handler as admin_handler
from b2b.db import enrollments as enrollment_repo
from b2b.db import keys
from b2b.db import lms_sync as repo
from b2b.db.models import EnrollmentItem
from b2b.domain.model import utcnow
from b2b.openedx import OpenEdxClient, OpenEdxConfig, StudioUnavailable
from b2b.queues import LmsSyncRequest
from b2b.services.lms_sync import sync_enrollment
from b2b_local.fake_lms import CLIENT_ID, CLIENT_SECRET, FakeLms, fake_lms
from sso_trigger.handler import lambda_handler as sso_trigger_handler

from tests.codes_support import make_contract
from tests.factories import admin_claims, call, generate_api_gw_event, generate_context
from tests.sso_support import cognito_event, run_sso_worker, sso_organization
from tests.sso_support import contract as sso_contract

MODE = "audit"


@pytest.fixture
def lms() -> Iterator[FakeLms]:
    with fake_lms() as fake:
        yield fake


def client(fake: FakeLms, timeout: float = 5.0) -> OpenEdxClient:
    return OpenEdxClient(
        OpenEdxConfig(
            studio_url=fake.url,
            lms_url=fake.url,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            timeout_seconds=timeout,
            attempts=3,
            backoff_seconds=0.05,
        )
    )


def enrolled(unique: str, *, email: str | None = None) -> tuple[str, str]:
    """A learner enrolled (active) in a run, as checkout leaves them: (user id, run id)."""
    user_id, run_id = f"lms-{unique}", f"course-v1:UAI_LMS+{unique}+2026_C1"
    EnrollmentItem(
        pk=keys.user_pk(user_id),
        sk=keys.enrollment_sk(run_id),
        user_id=user_id,
        run_id=run_id,
        contract_id=1,
        product_id=1,
        source="checkout",
        status="active",
        enrolled_at=utcnow(),
        email=email if email is not None else f"{user_id}@example.org",
    ).save()
    return user_id, run_id


def request(user_id: str, run_id: str) -> LmsSyncRequest:
    return LmsSyncRequest(user_id=user_id, run_id=run_id)


def test_an_enrollment_reaches_the_lms_under_the_learners_username(lms, unique):
    # Given an enrollment with the learner's email
    user_id, run_id = enrolled(unique)
    # When it is synced
    result = sync_enrollment(request(user_id, run_id), client(lms), MODE)
    # Then the LMS holds an active enrollment for the username its accounts API gave for the email
    assert result == "synced"
    state = lms.enrollment(user_id, run_id)
    assert state is not None and (state.is_active, state.mode) == (True, MODE)
    assert lms.account_calls == [f"{user_id}@example.org"]
    assert repo.get_enrollment_sync(user_id, run_id).lms_state == "synced"
    # And the username is cached on the learner: the next enrollment needs no lookup
    assert repo.get_lms_account(user_id).username == user_id


def test_lms_500_then_success(lms, unique):
    user_id, run_id = enrolled(unique)
    lms.script = ["500"]
    assert sync_enrollment(request(user_id, run_id), client(lms), MODE) == "synced"
    assert len(lms.calls_for(user_id, run_id)) == 2
    assert lms.enrollment(user_id, run_id).is_active is True


def test_timeout_then_success(lms, unique):
    user_id, run_id = enrolled(unique)
    lms.script = ["timeout"]
    lms.slow_seconds = 3.0
    assert sync_enrollment(request(user_id, run_id), client(lms, timeout=1.0), MODE) == "synced"
    assert len(lms.calls_for(user_id, run_id)) == 2
    assert lms.enrollment(user_id, run_id).is_active is True


def test_lms_down_for_every_attempt_raises_so_the_queue_retries(lms, unique):
    user_id, run_id = enrolled(unique)
    lms.script = ["500", "500", "500"]
    with pytest.raises(StudioUnavailable, match="answered 500"):
        sync_enrollment(request(user_id, run_id), client(lms), MODE)
    # And the enrollment is still pending, not failed
    assert repo.get_enrollment_sync(user_id, run_id).lms_state == "pending"


def test_a_400_marks_the_enrollment_failed_with_the_reason(lms, unique):
    user_id, run_id = enrolled(unique)
    lms.script = ["400"]
    assert sync_enrollment(request(user_id, run_id), client(lms), MODE) == "failed"
    sync = repo.get_enrollment_sync(user_id, run_id)
    assert sync.lms_state == "failed"
    assert "400" in sync.lms_error and "No course" in sync.lms_error
    # And the learner API's view says the same
    (shown,) = enrollment_repo.all_enrollments(user_id)
    assert (shown.lms_state, shown.lms_error) == ("failed", sync.lms_error)


def test_a_learner_without_an_lms_account_fails_with_the_reason(lms, unique):
    user_id, run_id = enrolled(unique)
    lms.unknown_emails.add(f"{user_id}@example.org")
    assert sync_enrollment(request(user_id, run_id), client(lms), MODE) == "failed"
    assert "no account" in repo.get_enrollment_sync(user_id, run_id).lms_error
    assert lms.calls_for(user_id, run_id) == []


def test_without_an_lms_the_state_is_not_configured(unique):
    user_id, run_id = enrolled(unique)
    assert sync_enrollment(request(user_id, run_id), None, MODE) == "not_configured"
    assert repo.get_enrollment_sync(user_id, run_id).lms_state == "not_configured"


def test_the_same_event_delivered_three_times_has_one_effect(lms, unique):
    user_id, run_id = enrolled(unique)
    lms_client = client(lms)
    results = [sync_enrollment(request(user_id, run_id), lms_client, MODE) for _ in range(3)]
    assert results == ["synced", "already_synced", "already_synced"]
    assert len(lms.calls_for(user_id, run_id)) == 1


def test_an_unenroll_delivered_before_its_enroll_leaves_the_learner_unenrolled(lms, unique):
    # Given an enrollment created and then ended in the table
    user_id, run_id = enrolled(unique)
    enrollment_repo.unenroll(user_id, run_id)
    lms_client = client(lms)
    # When the "ended" message arrives first and the "created" one after it
    first = sync_enrollment(request(user_id, run_id), lms_client, MODE)
    second = sync_enrollment(request(user_id, run_id), lms_client, MODE)
    # Then the LMS holds what the table says last: not enrolled
    assert (first, second) == ("synced", "already_synced")
    assert lms.enrollment(user_id, run_id).is_active is False
    assert [c["is_active"] for c in lms.calls_for(user_id, run_id)] == [False]


def test_an_enroll_call_that_lands_after_the_unenroll_is_corrected(lms, unique):
    # Given an enrollment whose "created" sync is slow at the LMS
    user_id, run_id = enrolled(unique)
    lms.script = ["slow"]
    lms.slow_seconds = 1.0
    lms_client = client(lms, timeout=5)
    results: dict[str, str] = {}
    slow = threading.Thread(
        target=lambda: results.setdefault(
            "created", sync_enrollment(request(user_id, run_id), lms_client, MODE)
        )
    )
    slow.start()
    while not lms.calls_for(user_id, run_id):
        time.sleep(0.02)
    # When the learner unenrolls meanwhile and that change is synced first
    enrollment_repo.unenroll(user_id, run_id)
    results["ended"] = sync_enrollment(request(user_id, run_id), client(lms, timeout=5), MODE)
    assert lms.enrollment(user_id, run_id).is_active is False
    slow.join(10)
    # Then the slow "enroll" landed last, the worker noticed on its conditional write, and sent the
    # current status again: the LMS ends unenrolled, as the table
    active_flags = [c["is_active"] for c in lms.calls_for(user_id, run_id)]
    assert active_flags == [True, False, False]
    assert lms.enrollment(user_id, run_id).is_active is False
    assert repo.get_enrollment_sync(user_id, run_id).lms_state == "synced"


def test_the_worker_handler_accepts_its_sample_event_without_an_lms():
    import json
    from pathlib import Path

    from lms_sync.handler import lambda_handler

    from tests.factories import generate_context

    # Given the sample message's enrollment, on a stack without LMS settings
    event = json.loads((Path(__file__).resolve().parents[2] / "events" / "lms_sync_sqs.json").read_text())
    body = json.loads(event["Records"][0]["body"])
    EnrollmentItem(
        pk=keys.user_pk(body["user_id"]),
        sk=keys.enrollment_sk(body["run_id"]),
        user_id=body["user_id"],
        run_id=body["run_id"],
        source="checkout",
        status="active",
        enrolled_at=utcnow(),
    ).save()
    # When the worker handles it
    result = lambda_handler(event, generate_context())
    # Then the record succeeded and the enrollment says the LMS is not configured
    assert result == {"batchItemFailures": []}
    assert repo.get_enrollment_sync(body["user_id"], body["run_id"]).lms_state == "not_configured"


def _enrolled_without_email(user_id: str, run_id: str) -> None:
    """An enrollment as SSO, an operator or a default enrollment leaves it: no email on it."""
    EnrollmentItem(
        pk=keys.user_pk(user_id),
        sk=keys.enrollment_sk(run_id),
        user_id=user_id,
        run_id=run_id,
        contract_id=1,
        product_id=1,
        source="default_enrollment",
        status="active",
        enrolled_at=utcnow(),
    ).save()


def test_an_enrollment_without_email_fails_with_the_reason_until_an_email_is_known(lms, unique):
    # Given an enrollment made without a checkout, for a learner whose email nobody gave yet
    user_id, run_id = f"nomail-{unique}", f"course-v1:UAI_LMS+N{unique}+2026_C1"
    _enrolled_without_email(user_id, run_id)
    # When it is synced, it fails saying why, and the LMS is not called
    assert sync_enrollment(request(user_id, run_id), client(lms), MODE) == "failed"
    assert "email is unknown" in (repo.get_enrollment_sync(user_id, run_id).lms_error or "")
    assert lms.account_calls == []
    # When an operator attaches the learner with an email (over the admin API), and the sync is retried
    contract = make_contract(unique)
    attached = call(
        admin_handler,
        generate_api_gw_event(
            "PUT",
            f"/v1/contracts/{contract.id}/learners/{user_id}",
            {"email": f"  {user_id}@example.org "},
            claims=admin_claims(),
        ),
    )
    assert attached.status == 201, attached.body
    assert sync_enrollment(request(user_id, run_id), client(lms), MODE) == "synced"
    # Then the LMS enrolled the account that email names
    assert lms.account_calls == [f"{user_id}@example.org"]
    state = lms.enrollment(user_id, run_id)
    assert state is not None and state.is_active


def test_an_sso_sign_in_gives_the_email_its_enrollments_are_synced_by(lms, unique, resources):
    # Given a learner signing in through the Cognito trigger into an organization with an auto
    # contract (their attributes carry an email), and the SSO worker finishing the login
    org = sso_organization(unique)
    sso_contract(org, "Auto")
    user_id, run_id = f"ssomail-{unique}", f"course-v1:UAI_LMS+S{unique}+2026_C1"
    event = cognito_event("PostAuthentication_Authentication", user_id, org.sso_organization_id)
    sso_trigger_handler(event, generate_context())
    run_sso_worker(resources)
    # When an enrollment made without a checkout is synced
    _enrolled_without_email(user_id, run_id)
    assert sync_enrollment(request(user_id, run_id), client(lms), MODE) == "synced"
    # Then the LMS was asked for the sign-in's email
    assert lms.account_calls == [f"{user_id}@example.com"]


def test_a_bad_email_is_refused_naming_it_and_attaches_no_one(unique):
    contract = make_contract(unique)
    user_id = f"bad-{unique}"
    for email in ("not-an-email", "a@b", "two@@x.org", 5):
        answer = call(
            admin_handler,
            generate_api_gw_event(
                "PUT",
                f"/v1/contracts/{contract.id}/learners/{user_id}",
                {"email": email},
                claims=admin_claims(),
            ),
        )
        assert answer.status == 422, email
        assert answer.body["error"]["details"][0]["field"] == "email"
    listed = call(
        admin_handler,
        generate_api_gw_event("GET", f"/v1/contracts/{contract.id}/learners", claims=admin_claims()),
    )
    assert listed.body["items"] == []
    assert repo.get_learner_email(user_id) is None
    # And a body-less attach still works as before
    plain = call(
        admin_handler,
        generate_api_gw_event(
            "PUT", f"/v1/contracts/{contract.id}/learners/{user_id}", claims=admin_claims()
        ),
    )
    assert plain.status == 201
