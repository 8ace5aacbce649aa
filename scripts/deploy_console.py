"""Upload the built console (console/dist) to a deployed stack's console bucket.

    python scripts/deploy_console.py [--stack-name b2b-contracts-dev] [--region us-east-1]

Reads the stack's outputs (ConsoleBucketName, ConsoleDistributionId, ConsoleUrl, ApiUrl,
ConsoleAuthority, ConsoleClientId), writes ``console/config.json`` for that stage, uploads every file
under ``console/`` (hashed bundle files cached for a year, index.html and config.json never), removes
files of older builds, and invalidates the two uncached paths on the distribution.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3

PREFIX = "console/"
NEVER_CACHED = frozenset({"index.html", "config.json"})
LONG_CACHE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
REQUIRED_OUTPUTS = ("ConsoleBucketName", "ConsoleDistributionId", "ConsoleUrl", "ApiUrl")


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    """The stack's outputs by key."""
    (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def console_config(outputs: Mapping[str, str]) -> dict[str, Any]:
    """The runtime configuration the console reads from /console/config.json."""
    missing = [key for key in REQUIRED_OUTPUTS if not outputs.get(key)]
    if missing:
        raise SystemExit(f"the stack has no {', '.join(missing)} output: deploy template.yaml first")
    if not outputs.get("ConsoleAuthority") or not outputs.get("ConsoleClientId"):
        raise SystemExit(
            "the stack names no sign-in provider for the console: deploy with CreateCognitoUserPool=true, "
            "or with ConsoleAuthority and ConsoleClientId"
        )
    console_url = outputs["ConsoleUrl"].rstrip("/") + "/"
    return {
        "api_base": outputs["ApiUrl"].rstrip("/"),
        "auth": {
            "mode": "oidc",
            "authority": outputs["ConsoleAuthority"].rstrip("/"),
            "client_id": outputs["ConsoleClientId"],
            "scopes": ["openid", "email", "profile"],
            "redirect_uri": f"{console_url}callback",
        },
    }


def _headers(relative: str) -> dict[str, str]:
    content_type = mimetypes.guess_type(relative)[0] or "application/octet-stream"
    cache = NO_CACHE if relative in NEVER_CACHED else LONG_CACHE
    return {"ContentType": content_type, "CacheControl": cache}


def upload(s3: Any, cloudfront: Any, dist: Path, outputs: Mapping[str, str]) -> dict[str, int]:
    """Upload ``dist`` and the stage's config; returns counts of uploaded and removed files."""
    if not (dist / "index.html").is_file():
        raise SystemExit(f"{dist}/index.html is missing: build the console first (make console)")
    bucket = outputs["ConsoleBucketName"]
    config = json.dumps(console_config(outputs), indent=2).encode()
    files = {p.relative_to(dist).as_posix(): p for p in sorted(dist.rglob("*")) if p.is_file()}
    files.pop("config.json", None)  # the local stack's; the stage's is written below
    # Bundle files first, index.html last: a browser that gets the new index finds its files.
    order = sorted(files, key=lambda name: name == "index.html")
    for relative in order:
        s3.put_object(
            Bucket=bucket, Key=PREFIX + relative, Body=files[relative].read_bytes(), **_headers(relative)
        )
    s3.put_object(Bucket=bucket, Key=PREFIX + "config.json", Body=config, **_headers("config.json"))
    keep = {PREFIX + name for name in files} | {PREFIX + "config.json"}
    stale = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=PREFIX)
        for item in page.get("Contents", [])
        if item["Key"] not in keep
    ]
    for start in range(0, len(stale), 1000):
        s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in stale[start : start + 1000]]}
        )
    paths = [f"/{PREFIX}index.html", f"/{PREFIX}config.json"]
    cloudfront.create_invalidation(
        DistributionId=outputs["ConsoleDistributionId"],
        InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": paths},
            "CallerReference": str(time.time_ns()),
        },
    )
    return {"uploaded": len(files) + 1, "removed": len(stale)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack-name", default="b2b-contracts-dev")
    parser.add_argument("--region", default=None)
    parser.add_argument("--dist", type=Path, default=Path(__file__).resolve().parents[1] / "console" / "dist")
    args = parser.parse_args(argv)
    session = boto3.session.Session(region_name=args.region)
    outputs = stack_outputs(session.client("cloudformation"), args.stack_name)
    counts = upload(session.client("s3"), session.client("cloudfront"), args.dist, outputs)
    print(f"console: {counts['uploaded']} files uploaded, {counts['removed']} old ones removed")
    print(f"open {outputs['ConsoleUrl']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
