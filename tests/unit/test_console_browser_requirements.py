"""The console's browser tests skip on a machine without Chromium, but fail under CI=true."""

from __future__ import annotations

import pytest

from tests.e2e import console_support


def test_a_missing_browser_skips_here_and_names_the_fix(monkeypatch):
    # Given a machine without Chromium, outside CI
    monkeypatch.setattr(console_support, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv("CI", raising=False)
    # Then the browser tests skip, saying what to install
    with pytest.raises(pytest.skip.Exception, match=r"Chromium \(apt-get install chromium\)"):
        console_support.require_browser()


def test_a_missing_browser_fails_under_ci(monkeypatch):
    # Given the same machine running CI
    monkeypatch.setattr(console_support, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("CI", "true")
    # Then the browser tests fail instead of skipping
    with pytest.raises(pytest.fail.Exception, match="CI must run them"):
        console_support.require_browser()


def test_the_built_console_and_axe_are_required_too(monkeypatch, tmp_path):
    # Given Chromium but neither a built console nor axe-core
    monkeypatch.setattr(console_support, "CHROMIUM", "/bin/sh")
    monkeypatch.setattr(console_support, "DIST", tmp_path / "dist")
    monkeypatch.setattr(console_support, "AXE", console_support.ROOT / ".tools" / "absent" / "axe.min.js")
    # Then both are named, with the command that provides them
    missing = console_support.missing_requirements()
    assert any("make console" in item for item in missing)
    assert any("axe-core" in item for item in missing)
    assert not any("Chromium" in item for item in missing)
