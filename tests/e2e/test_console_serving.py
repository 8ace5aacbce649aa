"""The operators' console as the local stack serves it: its files, its routes, its config and its
local sign-in, over HTTP (the app itself is checked in a browser elsewhere)."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from b2b_local.console import ConsoleFiles

INDEX = '<!doctype html><html><head><script type="module" src="/console/assets/index-4f2a9c.js"></script></head></html>'
BUNDLE = "console.log('the console');\n"


@pytest.fixture
def built(stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A console build of our own (index.html, a content-hashed bundle, a plain file) behind /console/."""
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX, encoding="utf-8")
    (dist / "assets" / "index-4f2a9c.js").write_text(BUNDLE, encoding="utf-8")
    (dist / "robots.txt").write_text("User-agent: *\nDisallow: /\n", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("outside the build", encoding="utf-8")
    monkeypatch.setattr(stack.console, "dist", dist)
    return dist


def test_every_route_of_the_app_gets_index_html_uncached(built, http):
    # Given a built console
    # When a browser opens any route of the app (a pasted link, a reload)
    for route in ("/console/", "/console/contracts", "/console/contracts/12/edit", "/console/catalog/runs"):
        page = http.get(route)
        # Then it gets the app's index.html, which it must check again next time
        assert page.status_code == 200, route
        assert page.text == INDEX
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-cache"


def test_hashed_assets_are_cached_for_good_and_revalidate_by_etag(built, http):
    # Given a built console
    # When the browser loads its bundle
    bundle = http.get("/console/assets/index-4f2a9c.js")
    # Then it is the file, as JavaScript, cacheable for a year
    assert bundle.status_code == 200
    assert bundle.text == BUNDLE
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert bundle.headers["cache-control"] == "public, max-age=31536000, immutable"
    # And asking again with its ETag answers 304 without the body
    again = http.get("/console/assets/index-4f2a9c.js", headers={"If-None-Match": bundle.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    # And a file outside assets/ is served but checked every time
    robots = http.get("/console/robots.txt")
    assert robots.status_code == 200 and robots.headers["cache-control"] == "no-cache"


def test_missing_files_are_404_never_the_app_and_nothing_outside_the_build(built, http):
    # Given a built console
    # When the browser asks for an asset that is not there (an old bundle after a new build)
    stale = http.get("/console/assets/index-000000.js")
    # Then it gets a 404, not index.html dressed as JavaScript
    assert stale.status_code == 404
    assert INDEX not in stale.text
    # And no path climbs out of the build directory
    for sneaky in (
        "/console/../secret.txt",
        "/console/%2e%2e/secret.txt",
        "/console/assets/..%2f..%2fsecret.txt",
    ):
        answer = http.get(sneaky)
        assert "outside the build" not in answer.text, sneaky


def test_console_without_slash_redirects_and_writes_are_refused(built, http):
    moved = http.get("/console", follow_redirects=False)
    assert moved.status_code == 308
    assert moved.headers["location"] == "/console/"
    refused = http.post("/console/contracts", content=b"{}")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, HEAD"


def test_runtime_config_is_the_local_one(http):
    # When the console starts it reads its config at run time
    config = http.get("/console/config.json")
    # Then the local stack says: this origin's API, local sign-in
    assert config.status_code == 200
    assert config.headers["content-type"].startswith("application/json")
    assert config.headers["cache-control"] == "no-cache"
    assert config.json() == {"api_base": "", "auth": {"mode": "local"}}


def test_dev_token_signs_in_as_an_admin(http):
    # Given no token at all
    assert http.get("/v1/organizations").status_code == 401
    # When the console asks the local stack for a dev token
    answer = http.post("/_local/dev-token")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    token = answer.json()["token"]
    # Then the token carries the admin group and the admin API accepts it
    claims = jwt.decode(token, options={"verify_signature": False})
    assert "admin" in claims["cognito:groups"]
    listed = http.get("/v1/organizations", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200, listed.text
    assert "items" in listed.json()


def test_unbuilt_console_says_how_to_build_it(stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, http):
    # Given a checkout where the console was never built
    monkeypatch.setattr(stack.console, "dist", tmp_path / "no-dist")
    # When someone opens it
    page = http.get("/console/contracts")
    # Then the page says what to run, and is not cached
    assert page.status_code == 503
    assert "make console" in page.text
    assert page.headers["cache-control"] == "no-cache"


def test_the_built_console_when_present_is_what_make_console_wrote(http):
    """Against the checkout's own build (make test builds it first): index.html names a bundle that loads."""
    if not (ConsoleFiles().dist / "index.html").is_file():
        pytest.skip("console/dist is not built (make console)")
    page = http.get("/console/organizations")
    assert page.status_code == 200
    bundles = [
        part.split('"')[0] for part in page.text.split('src="')[1:] if part.startswith("/console/assets/")
    ]
    assert bundles, page.text
    bundle = http.get(bundles[0])
    assert bundle.status_code == 200
    assert bundle.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert len(bundle.content) > 1000


def test_another_config_is_served_as_given(stack, monkeypatch: pytest.MonkeyPatch, http):
    # Given the stack started with another console config (make run ARGS="--console-config FILE")
    oidc = {
        "api_base": "",
        "auth": {
            "mode": "oidc",
            "authority": "http://127.0.0.1:8080/realms/operators",
            "client_id": "console",
            "scopes": ["openid"],
            "redirect_uri": "http://127.0.0.1:3000/console/callback",
        },
    }
    monkeypatch.setattr(stack.console, "config", oidc)
    # When the console reads its config
    answer = http.get("/console/config.json")
    # Then it is that config, unchanged
    assert answer.status_code == 200
    assert answer.json() == oidc
