"""The console's hosting in template.yaml: a private bucket, read only by its CloudFront distribution
through origin access control; SPA routes answered with index.html; a public PKCE client."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from b2b_local.template import read_template

RESOURCES = read_template().raw["Resources"]


def test_the_console_bucket_has_no_public_access_of_any_kind():
    bucket = RESOURCES["ConsoleBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert "WebsiteConfiguration" not in bucket  # served by CloudFront, never as an S3 website


def test_only_this_distribution_may_read_the_bucket():
    statements = RESOURCES["ConsoleBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allows) == 1
    (allow,) = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    source = allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert source.endswith(":distribution/${ConsoleDistribution}")
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert denies and denies[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_distribution_signs_its_requests_with_origin_access_control_over_https():
    config = RESOURCES["ConsoleDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["ConsoleOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy identity
    oac = RESOURCES["ConsoleOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["SigningBehavior"], oac["SigningProtocol"]) == ("always", "sigv4")
    behaviour = config["DefaultCacheBehavior"]
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
    assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "ConsoleResponseHeaders"}
    csp = RESOURCES["ConsoleResponseHeaders"]["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"
    ]["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"][0]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp


def test_the_console_client_is_public_and_uses_the_authorization_code_flow():
    client = RESOURCES["ConsoleUserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["CallbackURLs"] == [
        {"Fn::Sub": "https://${ConsoleDistribution.DomainName}/console/callback"}
    ]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("/console/contracts/12", {"uri": "/console/index.html"}),
        ("/console/", {"uri": "/console/index.html"}),
        ("/console/organizations/new", {"uri": "/console/index.html"}),
        ("/console/assets/index-4f2a.js", {"uri": "/console/assets/index-4f2a.js"}),
        ("/console/config.json", {"uri": "/console/config.json"}),
        ("/", {"statusCode": 302, "location": "/console/"}),
        ("/favicon.ico", {"uri": "/favicon.ico"}),
    ],
)
def test_the_route_function_sends_app_routes_to_index_html(uri, expected):
    # Given the viewer-request function's own code, run by node with a CloudFront-shaped event
    code = RESOURCES["ConsoleRouteFunction"]["Properties"]["FunctionCode"]
    script = code + f"\nconsole.log(JSON.stringify(handler({{request: {{uri: {json.dumps(uri)}}}}})));"
    out = json.loads(
        subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout
    )
    # Then app routes get index.html, files stay as asked, and the root redirects to the console
    if "statusCode" in expected:
        assert out["statusCode"] == expected["statusCode"]
        assert out["headers"]["location"]["value"] == expected["location"]
    else:
        assert out["uri"] == expected["uri"]
