"""Each function declares the variables it needs; the template gives them; a missing one is a failure."""

from __future__ import annotations

import copy

import pytest
from b2b.settings import FUNCTION_REQUIREMENTS, ConfigurationError, get_settings, require_settings
from b2b_local.resources import LocalResources, check_function_environments, function_environment
from b2b_local.template import TemplateModel, read_template


def _resources(template: TemplateModel) -> LocalResources:
    # Physical names as the local stack would create them, without creating anything.
    queues = template.resources_of_type("AWS::SQS::Queue")
    buses = template.resources_of_type("AWS::Events::EventBus")
    return LocalResources(
        endpoint_url="http://127.0.0.1:9",
        region="us-east-1",
        tables={logical: f"test-{logical}" for logical in template.resources_of_type("AWS::DynamoDB::Table")},
        queue_urls={logical: f"http://127.0.0.1:9/123456789012/test-{logical}" for logical in queues},
        queue_arns={logical: f"arn:aws:sqs:us-east-1:123456789012:test-{logical}" for logical in queues},
        event_buses={logical: f"test-{logical}" for logical in buses},
        event_bus_arns={
            logical: f"arn:aws:events:us-east-1:123456789012:event-bus/test-{logical}" for logical in buses
        },
    )


def _without(template: TemplateModel, function: str, variable: str) -> TemplateModel:
    changed = copy.deepcopy(template)
    del changed.functions[function].environment[variable]
    return changed


def test_every_function_of_the_template_declares_its_settings():
    # Given the functions of template.yaml
    template = read_template()
    # Then each handler module has an entry in the requirements table, and no entry is left over
    handlers = {spec.handler_module for spec in template.functions.values()}
    assert handlers == set(FUNCTION_REQUIREMENTS)


def test_the_template_gives_every_function_what_it_requires():
    # Given the template as it is
    template = read_template()
    # When the local stack checks each function's own environment, Then nothing is missing
    check_function_environments(template, _resources(template))


def test_a_variable_missing_from_one_function_fails_the_check():
    # Given a template whose Cognito trigger lost its attach queue
    template = _without(read_template(), "SsoTriggerFunction", "SSO_ATTACH_QUEUE_URL")
    # When the local stack checks the environments
    with pytest.raises(ConfigurationError) as failure:
        check_function_environments(template, _resources(template))
    # Then the failure names that function and that variable, and no other function
    message = str(failure.value)
    assert "sso_trigger.handler: SSO_ATTACH_QUEUE_URL" in message
    assert "learner_api" not in message
    assert "checkout_api" not in message


def test_each_function_gets_its_own_variables_not_the_union():
    # Given the template's functions
    template = read_template()
    resources = _resources(template)
    # When the environments of the admin API and the Cognito trigger are built
    admin = function_environment(template, resources, "AdminApiFunction")
    trigger = function_environment(template, resources, "SsoTriggerFunction")
    # Then each has its own variables only (the clone queue is the admin API's, the budget the trigger's)
    assert admin["CLONE_QUEUE_URL"].endswith("test-CloneQueue")
    assert "CLONE_QUEUE_URL" not in trigger
    assert trigger["SSO_TRIGGER_BUDGET_MS"] == "2000"
    assert "SSO_TRIGGER_BUDGET_MS" not in admin
    # And the Globals reach both
    assert admin["TABLE_NAME"] == trigger["TABLE_NAME"] == "test-Table"


# Deployed stages refuse to start without a cursor signing key of at least 32 characters.
DEPLOYED_CURSOR_KEY = "k" * 32


def test_outside_local_the_cursor_signing_key_is_required(monkeypatch, fresh_settings):
    # Given a deployed stage with every variable of the reconciler but no cursor signing key
    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.setenv("TABLE_NAME", "b2b-prod-Table")
    monkeypatch.setenv("RECONCILE_QUEUE_URL", "https://sqs.example/reconcile.fifo")
    monkeypatch.delenv("CURSOR_SIGNING_KEY", raising=False)
    # When it starts, Then the settings refuse, naming the key
    with pytest.raises(ValueError, match="CURSOR_SIGNING_KEY"):
        require_settings("code_reconciler.handler")


@pytest.fixture
def fresh_settings():
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_outside_local_a_missing_variable_fails_the_cold_start(monkeypatch, fresh_settings):
    # Given a deployed stage whose reconciler has a table (and the cursor key every deployed function
    # gets from the template's Globals) but no queue to hand continuations to
    monkeypatch.setenv("STAGE", "dev")
    monkeypatch.setenv("TABLE_NAME", "b2b-dev-Table")
    monkeypatch.setenv("CURSOR_SIGNING_KEY", DEPLOYED_CURSOR_KEY)
    monkeypatch.delenv("RECONCILE_QUEUE_URL", raising=False)
    # When the reconciler starts, Then it stops with a message naming the variable
    with pytest.raises(
        ConfigurationError, match=r"code_reconciler.handler cannot start: RECONCILE_QUEUE_URL"
    ):
        require_settings("code_reconciler.handler")


def test_on_the_local_stage_a_missing_variable_is_only_reported(monkeypatch, fresh_settings, caplog):
    # Given the local stage without the reconcile queue
    monkeypatch.setenv("STAGE", "local")
    monkeypatch.delenv("RECONCILE_QUEUE_URL", raising=False)
    # When the reconciler starts
    settings = require_settings("code_reconciler.handler")
    # Then it starts, and says what is missing
    assert settings.is_local
    assert "RECONCILE_QUEUE_URL" in caplog.text


def test_with_everything_set_a_deployed_function_starts(monkeypatch, fresh_settings):
    # Given a deployed stage with the admin API's variables
    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.setenv("TABLE_NAME", "b2b-prod-Table")
    monkeypatch.setenv("RECONCILE_QUEUE_URL", "https://sqs.example/reconcile.fifo")
    monkeypatch.setenv("CLONE_QUEUE_URL", "https://sqs.example/clone")
    monkeypatch.setenv("LMS_SYNC_QUEUE_URL", "https://sqs.example/lms-sync")
    monkeypatch.setenv("CURSOR_SIGNING_KEY", DEPLOYED_CURSOR_KEY)
    # When it starts, Then the settings are the deployed ones
    assert require_settings("admin_api.handler").stage == "prod"
