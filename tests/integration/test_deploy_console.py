"""Deploying the console's files to a stage's bucket (scripts/deploy_console.py, against moto)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from b2b_local.template import PROJECT_ROOT

_spec = importlib.util.spec_from_file_location(
    "deploy_console", PROJECT_ROOT / "scripts" / "deploy_console.py"
)
assert _spec and _spec.loader
deploy_console = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(deploy_console)


def _distribution(cloudfront: Any, bucket: str) -> str:
    created = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": bucket,
            "Comment": "console",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "b",
                        "DomainName": f"{bucket}.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "b",
                "ViewerProtocolPolicy": "redirect-to-https",
                "MinTTL": 0,
            },
        }
    )
    return str(created["Distribution"]["Id"])


@pytest.fixture
def stage(unique: str, tmp_path: Path, resources: Any) -> dict[str, Any]:
    s3 = boto3.client("s3", endpoint_url=resources.endpoint_url)
    cloudfront = boto3.client("cloudfront", endpoint_url=resources.endpoint_url)
    bucket = f"console-{unique.lower()}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="console/assets/index-OLD.js", Body=b"old build")
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>console</title>")
    (dist / "assets" / "index-NEW.js").write_text("console.log(1)")
    (dist / "config.json").write_text('{"api_base": "", "auth": {"mode": "local"}}')
    outputs = {
        "ConsoleBucketName": bucket,
        "ConsoleDistributionId": _distribution(cloudfront, bucket),
        "ConsoleUrl": "https://d111.cloudfront.net/console/",
        "ApiUrl": "https://abc.execute-api.us-east-1.amazonaws.com/dev/",
        "ConsoleAuthority": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_POOL",
        "ConsoleClientId": "client123",
    }
    return {"s3": s3, "cloudfront": cloudfront, "dist": dist, "outputs": outputs, "bucket": bucket}


def test_upload_replaces_the_build_and_writes_the_stage_config(stage):
    # When the built console is uploaded
    counts = deploy_console.upload(stage["s3"], stage["cloudfront"], stage["dist"], stage["outputs"])
    # Then the bucket holds exactly the new build and the stage's config, under console/
    s3, bucket = stage["s3"], stage["bucket"]
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="console/")["Contents"])
    assert keys == ["console/assets/index-NEW.js", "console/config.json", "console/index.html"]
    assert counts == {"uploaded": 3, "removed": 1}
    # And hashed files are cached for a year, index.html and config.json never
    bundle = s3.head_object(Bucket=bucket, Key="console/assets/index-NEW.js")
    assert "immutable" in bundle["CacheControl"] and bundle["ContentType"] == "text/javascript"
    index = s3.head_object(Bucket=bucket, Key="console/index.html")
    assert (index["CacheControl"], index["ContentType"]) == ("no-cache", "text/html")
    # And the config names the stage's API and sign-in provider, not the local stack's
    config = json.loads(s3.get_object(Bucket=bucket, Key="console/config.json")["Body"].read())
    assert config == {
        "api_base": "https://abc.execute-api.us-east-1.amazonaws.com/dev",
        "auth": {
            "mode": "oidc",
            "authority": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_POOL",
            "client_id": "client123",
            "scopes": ["openid", "email", "profile"],
            "redirect_uri": "https://d111.cloudfront.net/console/callback",
        },
    }
    # And the two uncached paths are invalidated on the distribution
    invalidations = stage["cloudfront"].list_invalidations(
        DistributionId=stage["outputs"]["ConsoleDistributionId"]
    )
    assert invalidations["InvalidationList"]["Quantity"] == 1


def test_an_unbuilt_console_or_a_stack_without_sign_in_stops_before_uploading(stage):
    (stage["dist"] / "index.html").unlink()
    with pytest.raises(SystemExit, match="make console"):
        deploy_console.upload(stage["s3"], stage["cloudfront"], stage["dist"], stage["outputs"])
    (stage["dist"] / "index.html").write_text("x")
    with pytest.raises(SystemExit, match="CreateCognitoUserPool"):
        deploy_console.upload(
            stage["s3"], stage["cloudfront"], stage["dist"], stage["outputs"] | {"ConsoleClientId": ""}
        )
    keys = [o["Key"] for o in stage["s3"].list_objects_v2(Bucket=stage["bucket"])["Contents"]]
    assert keys == ["console/assets/index-OLD.js"]  # nothing written
