"""Cost model: docs/cost.md computed from the measured figures in docs/benchmarks.json.

Run by `make bench` after the benchmarks (or alone: `python -m bench.cost_model`). Prices are
AWS list prices for us-east-1 (on-demand), written once below; every other number comes from the
benchmark run, so the arithmetic shown in the document is reproducible.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "docs" / "benchmarks.json"
OUTPUT = ROOT / "docs" / "cost.md"

# us-east-1 list prices (USD).
PRICE = {
    "lambda_gb_second_arm": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
    "http_api_request": 1.00 / 1e6,
    "dynamodb_write_unit": 0.625 / 1e6,  # on-demand write request unit
    "dynamodb_read_unit": 0.125 / 1e6,  # on-demand read request unit
    "sqs_fifo_request": 0.50 / 1e6,
    # SnapStart for Python: snapshot cache per GB-second of each active version (at least 3 hours),
    # and each restore per GB of memory.
    "snapstart_cache_gb_second": 0.0000015046,
    "snapstart_restore_gb": 0.0001397998,
    "alarm_metric_month": 0.10,  # standard-resolution alarm, per metric it evaluates
    "dashboard_month": 3.00,
    "custom_metric_month": 0.30,  # first 10,000 metrics
    "pitr_gb_month": 0.20,
    "table_gb_month": 0.25,
    "logs_ingested_gb": 0.50,
    "logs_stored_gb_month": 0.03,
    "xray_trace_recorded": 5.00 / 1e6,
}
# Assumptions, stated in docs/cost.md: the share of invocations that start a new execution
# environment, and X-Ray's default sampling (the first request each second, then 5%).
COLD_START_SHARE = 0.01
SAMPLED_SHARE = 0.05
MONTH_SECONDS = 30 * 24 * 3600
SNAPSTART = {  # function: (benchmark key, recommended)
    "AdminApiFunction": ("admin", True),
    "CheckoutApiFunction": ("checkout", True),
    "LearnerApiFunction": ("learner", True),
    "SsoTriggerFunction": ("sso", True),
    "CodeReconcilerFunction": ("reconciler", False),
    "CoursewareClonerFunction": ("cloner", False),
}
SECONDS_A_MONTH = 30 * 24 * 3600
READ_UNITS_PER_ITEM = 0.5  # eventually consistent read of an item under 4 KB
WRITE_UNITS_PER_ITEM = 1  # standard write of an item under 1 KB
TRANSACTIONAL_WRITE_UNITS_PER_ITEM = 2  # transactions cost twice


def _template_memory() -> dict[str, int]:
    from b2b_local.template import read_template

    template = read_template()
    default = int(template.raw.get("Globals", {}).get("Function", {}).get("MemorySize", 128))
    return {
        name: int(resource["Properties"].get("MemorySize", default))
        for name, resource in template.raw["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def _per_million(price: str) -> str:
    return f"${PRICE[price] * 1e6:.3f}/M"


def _money(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.01 else f"${value:,.4f}"


def redemptions(
    figures: dict[str, float], memory: dict[str, int], count: int = 1_000_000
) -> tuple[list[str], float]:
    """Cost of ``count`` redemptions, each one validate and one complete."""
    gb = memory["CheckoutApiFunction"] / 1024
    latency_s = figures["checkout.complete.latency_ms"] / 1000
    reads = figures["checkout.validate.items_read"] + figures["checkout.complete.items_read"]
    writes = figures["checkout.complete.transactional_items"]
    rows = [
        (
            "API Gateway HTTP API",
            f"2 requests × {count:,} × {_per_million('http_api_request')}",
            2 * count * PRICE["http_api_request"],
        ),
        (
            "Lambda requests",
            f"2 × {count:,} × {_per_million('lambda_request')}",
            2 * count * PRICE["lambda_request"],
        ),
        (
            "Lambda compute",
            f"2 × {latency_s * 1000:.0f} ms × {gb:.2f} GB × {count:,} × ${PRICE['lambda_gb_second_arm']}/GB-s",
            2 * latency_s * gb * count * PRICE["lambda_gb_second_arm"],
        ),
        (
            "DynamoDB reads",
            f"{reads:.0f} items × {READ_UNITS_PER_ITEM} RRU × {count:,} × {_per_million('dynamodb_read_unit')}",
            reads * READ_UNITS_PER_ITEM * count * PRICE["dynamodb_read_unit"],
        ),
        (
            "DynamoDB writes",
            f"{writes:.0f} transactional items × {TRANSACTIONAL_WRITE_UNITS_PER_ITEM} WRU × {count:,} × {_per_million('dynamodb_write_unit')}",
            writes * TRANSACTIONAL_WRITE_UNITS_PER_ITEM * count * PRICE["dynamodb_write_unit"],
        ),
    ]
    return _table(rows), sum(r[2] for r in rows)


def generated_codes(
    figures: dict[str, float], memory: dict[str, int], count: int = 100_000
) -> tuple[list[str], float]:
    """Cost of generating ``count`` codes with the reconciler."""
    gb = memory["CodeReconcilerFunction"] / 1024
    seconds_per_code = figures["codes.generate.seconds"] / figures["codes.generate.codes"]
    requests_per_code = figures["codes.generate.write_requests"] / figures["codes.generate.codes"]
    messages = math.ceil(count / figures.get("codes.write_budget", 2000))
    rows = [
        (
            "Lambda compute",
            f"{seconds_per_code * 1000:.3f} ms/code × {count:,} × {gb:.2f} GB × ${PRICE['lambda_gb_second_arm']}/GB-s",
            seconds_per_code * count * gb * PRICE["lambda_gb_second_arm"],
        ),
        (
            "Lambda requests",
            f"{messages} messages × {_per_million('lambda_request')}",
            messages * PRICE["lambda_request"],
        ),
        (
            "DynamoDB writes",
            f"{count:,} items × {WRITE_UNITS_PER_ITEM} WRU × {_per_million('dynamodb_write_unit')} "
            f"({requests_per_code * count:,.0f} BatchWriteItem requests)",
            count * WRITE_UNITS_PER_ITEM * PRICE["dynamodb_write_unit"],
        ),
        (
            "SQS FIFO",
            f"{messages} messages × 3 calls (send, receive, delete) × {_per_million('sqs_fifo_request')}",
            messages * 3 * PRICE["sqs_fifo_request"],
        ),
    ]
    return _table(rows), sum(r[2] for r in rows)


# The drift sweep (issue 13): what it reads is fixed by the data model, so it is priced from sizes.
SWEEP_CONTRACTS = 10_000
SWEEP_RUNS_PER_MONTH = 24 * 30  # hourly schedule
CODE_ITEM_BYTES = 300
CONTRACT_ITEM_BYTES = 600
QUERY_PAGE_BYTES = 4096  # a Query is charged per 4 KB read (0.5 RRU eventually consistent)
# Per open contract besides its codes: GetItem of the contract, Query of its counters, Query of
# its products (each under 4 KB).
SWEEP_SMALL_READS = 3
# Time per open contract: four requests of a few milliseconds, plus about 30 ms per 1 MB page of codes.
SWEEP_MS_PER_REQUEST = 8
SWEEP_MS_PER_MB = 30


def drift_sweep(
    memory: dict[str, int], codes_per_contract: int
) -> tuple[list[tuple[str, str, float]], float, float]:
    """Cost of one sweep over ``SWEEP_CONTRACTS`` open contracts, and its duration in seconds."""
    gb = memory["CodeDriftSweepFunction"] / 1024
    code_bytes = codes_per_contract * CODE_ITEM_BYTES
    per_contract_units = (
        SWEEP_SMALL_READS * READ_UNITS_PER_ITEM
        + max(1, -(-code_bytes // QUERY_PAGE_BYTES)) * READ_UNITS_PER_ITEM
    )
    list_units = -(-SWEEP_CONTRACTS * CONTRACT_ITEM_BYTES // QUERY_PAGE_BYTES) * READ_UNITS_PER_ITEM
    units = SWEEP_CONTRACTS * per_contract_units + list_units
    seconds = (
        SWEEP_CONTRACTS
        * ((SWEEP_SMALL_READS + 1) * SWEEP_MS_PER_REQUEST + code_bytes / 1e6 * SWEEP_MS_PER_MB)
        / 1000
    )
    rows = [
        (
            "DynamoDB reads",
            f"{SWEEP_CONTRACTS:,} × ({SWEEP_SMALL_READS} small reads + {codes_per_contract:,} codes × "
            f"{CODE_ITEM_BYTES} B / 4 KB) × 0.5 RRU + the contract list = {units:,.0f} RRU × "
            f"{_per_million('dynamodb_read_unit')}",
            units * PRICE["dynamodb_read_unit"],
        ),
        (
            "Lambda compute",
            f"{seconds:,.0f} s × {gb:.2f} GB × ${PRICE['lambda_gb_second_arm']}/GB-s",
            seconds * gb * PRICE["lambda_gb_second_arm"],
        ),
        (
            "Lambda requests, scheduler",
            f"{-(-seconds // 840):.0f} runs (a run stops a minute before its 15-minute limit and the next "
            "goes on) × $0.200/M; EventBridge Scheduler's first 14 M invocations a month are free",
            -(-seconds // 840) * PRICE["lambda_request"],
        ),
    ]
    return rows, sum(cost for _, _, cost in rows), seconds


def _sweep_section(memory: dict[str, int]) -> list[str]:
    lines = [
        "## Drift sweep at 10,000 open contracts",
        "",
        "The hourly sweep (`CodeDriftSweepFunction`) lists every contract and, for each open one, reads "
        "the contract, its counters, its products and every code (the health check recounts the items). "
        "Priced from item sizes, not measured; drifting contracts add one SQS message and one reconcile "
        "each, and only they write (a drift marker).",
        "",
    ]
    for codes in (200, 4_000):
        table, total, seconds = drift_sweep(memory, codes)
        lines += [
            f"### {codes:,} codes per contract",
            "",
            *_table(table),
            "",
            f"**Per sweep: {_money(total)}** (about {seconds / 60:,.0f} minutes of work); "
            f"**per month, hourly: {_money(total * SWEEP_RUNS_PER_MONTH)}**.",
            "",
        ]
    lines += [
        "Decision: hourly by default (the `DriftSweepSchedule` parameter sets another rate). At 200 codes a "
        "contract drift is found within the hour for about $11 a month; at 4,000 codes a contract (the "
        "seed's largest, 200 learners × 20 courses: 40 million codes in all) the reads cost about $140 a "
        "month, and `rate(1 day)` brings that to about $6. A pass longer than one run (14 minutes) saves "
        "its position and the next run goes on, so a bigger table only stretches the pass. A reconcile "
        "an operator asks for is immediate either way.",
        "",
    ]
    return lines


def snapstart_and_tracing(figures: dict[str, float], memory: dict[str, int]) -> list[str]:
    """SnapStart's charges against the init time it saves, and tracing's cost, per function."""
    invocations = {  # at the traffic the sections above model
        "CheckoutApiFunction": (2_000_000, "1,000,000 redemptions"),
        "CodeReconcilerFunction": (
            math.ceil(100_000 / figures.get("codes.write_budget", 2000)),
            "100,000 codes",
        ),
    }
    lines = [
        "## SnapStart and tracing",
        "",
        f"Assumed: {COLD_START_SHARE:.0%} of invocations start a new execution environment (a restore with "
        f"SnapStart, an init without); X-Ray samples {SAMPLED_SHARE:.0%} of requests (its default rule, after "
        "the first each second). Lambda bills the init phase, so an init SnapStart avoids is money saved; "
        "init times are this machine's (tracing on), Lambda's arm64 CPUs differ.",
        "",
        "Snapshot cache, every month the version is live: "
        + ", ".join(
            f"{name.removesuffix('Function')} {_money(memory[name] / 1024 * MONTH_SECONDS * PRICE['snapstart_cache_gb_second'])}"
            for name, (_, on) in SNAPSTART.items()
            if on
        )
        + f" ({_per_gb_second('snapstart_cache_gb_second')} × memory × {MONTH_SECONDS:,} s). "
        "Every published version keeps its snapshot (and its charge) until the version is deleted.",
        "",
        "| function | traffic | restores | restore charge | init time saved | net | SnapStart |",
        "|---|---|---|---|---|---|---|",
    ]
    cheaper = False
    for name, (key, on) in SNAPSTART.items():
        gb = memory[name] / 1024
        init_ms = figures.get(f"coldstart.{key}.on_ms")
        count, traffic = invocations.get(name, (None, "not modeled"))
        cache = gb * MONTH_SECONDS * PRICE["snapstart_cache_gb_second"]
        if count is None or init_ms is None:
            lines.append(
                f"| {name} | {traffic} | — | — | — | cache {'' if on else 'would be '}{_money(cache)}/month "
                f"| {'on' if on else 'off'} |"
            )
            continue
        restores = math.ceil(count * COLD_START_SHARE)
        charge = restores * gb * PRICE["snapstart_restore_gb"]
        saved = restores * init_ms / 1000 * gb * PRICE["lambda_gb_second_arm"]
        cheaper = cheaper or saved > charge + cache
        lines.append(
            f"| {name} | {traffic} | {restores:,} | {_money(charge)} | {_money(saved)} ({init_ms:.0f} ms each) "
            f"| {_money(charge - saved)} + cache {'' if on else 'would be '}{_money(cache)}/month "
            f"| {'on' if on else 'off'} |"
        )
    verdict = (
        "At one of these traffic levels SnapStart saves more init time than it costs."
        if cheaper
        else "At these traffic levels SnapStart costs more than the init time it saves: it buys latency, not money."
    )
    lines += [
        "",
        f"{verdict} It is on where a person waits (the three APIs; the Cognito trigger, which Cognito abandons "
        "after 5 s) and off for the queue consumers, whose cold starts nobody sees.",
        "",
        "| tracing | arithmetic | cost |",
        "|---|---|---|",
    ]
    count = 2_000_000
    traced = count * SAMPLED_SHARE
    lines.append(
        f"| X-Ray traces, 1,000,000 redemptions | {traced:,.0f} sampled traces × {_per_million('xray_trace_recorded')} "
        f"| {_money(traced * PRICE['xray_trace_recorded'])} |"
    )
    lines.append(
        f"| same, every request traced (upper bound) | {count:,} × {_per_million('xray_trace_recorded')} "
        f"| {_money(count * PRICE['xray_trace_recorded'])} |"
    )
    for name in ("CheckoutApiFunction", "CodeReconcilerFunction"):
        key, on = SNAPSTART[name]
        added = figures.get(f"coldstart.{key}.on_ms", 0) - figures.get(f"coldstart.{key}.off_ms", 0)
        calls, traffic = invocations[name]
        colds = math.ceil(calls * COLD_START_SHARE)
        gb = memory[name] / 1024
        cost = 0.0 if on else colds * added / 1000 * gb * PRICE["lambda_gb_second_arm"]
        where = (
            "inside the snapshot: nothing at restore"
            if on
            else f"{colds:,} inits × {added:.0f} ms × {gb:.2f} GB"
        )
        lines.append(f"| tracing's init time, {name} ({traffic}) | {where} | {_money(cost)} |")
    return [*lines, ""]


def _per_gb_second(price: str) -> str:
    return f"${PRICE[price]:.10f}/GB-s"


def _alarm_metrics(resources: dict[str, Any]) -> tuple[int, int]:
    """(alarms, metrics they evaluate): a metric-math alarm pays for each metric it reads."""
    alarms = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    metrics = sum(
        sum(1 for m in props["Metrics"] if "MetricStat" in m) if "Metrics" in props else 1 for props in alarms
    )
    return len(alarms), metrics


def _custom_metric_names() -> set[str]:
    """The business metrics the code emits (each name is one custom metric per service dimension)."""
    pattern = re.compile(r'add_metric\(\s*name="([A-Za-z]+)"')
    names: set[str] = set()
    for folder in ("layers/shared/b2b", "functions"):
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(pattern.findall(path.read_text()))
    return names


def fixed_costs() -> tuple[list[tuple[str, str, float]], float]:
    """What a deployed stage costs a month before any traffic (or per unit of what it keeps)."""
    from b2b_local.template import read_template

    raw = read_template().raw
    resources = raw["Resources"]
    alarms, alarm_metrics = _alarm_metrics(resources)
    dashboards = sum(1 for r in resources.values() if r["Type"] == "AWS::CloudWatch::Dashboard")
    metrics = len(_custom_metric_names())
    traced = sum(
        1
        for r in resources.values()
        if r["Type"] == "AWS::Serverless::Function"
        # Globals may switch tracing per stage (Fn::If on TracingOn): priced as on.
        and "Active" in str(r["Properties"].get("Tracing", raw["Globals"]["Function"].get("Tracing")))
    )
    xray_floor = SECONDS_A_MONTH * PRICE["xray_trace_recorded"]
    prod_days = raw["Mappings"]["StageSettings"]["prod"]["LogRetentionDays"]
    monthly = [
        (
            "CloudWatch alarms",
            f"{alarms} alarms reading {alarm_metrics} metrics × ${PRICE['alarm_metric_month']:.2f}",
            alarm_metrics * PRICE["alarm_metric_month"],
        ),
        (
            "CloudWatch dashboard",
            f"{dashboards} × ${PRICE['dashboard_month']:.2f}",
            dashboards * PRICE["dashboard_month"],
        ),
        (
            "Business metrics (EMF)",
            f"{metrics} metric names × ${PRICE['custom_metric_month']:.2f} (one service dimension each)",
            metrics * PRICE["custom_metric_month"],
        ),
        (
            "X-Ray tracing, at most",
            f"{traced} traced functions; the default rule records 1 request a second: "
            f"{SECONDS_A_MONTH / 1e6:.2f} M traces × $5.00/M, plus 5 % of the rest",
            xray_floor,
        ),
    ]
    per_unit = [
        ("DynamoDB storage", "per GB of table, per month", PRICE["table_gb_month"]),
        (
            "Point-in-time recovery",
            "per GB of table, per month (35 days of restore points)",
            PRICE["pitr_gb_month"],
        ),
        ("Logs ingested", "per GB the functions write", PRICE["logs_ingested_gb"]),
        (
            "Logs stored",
            f"per GB, kept {prod_days} days in prod (StageSettings): "
            f"{PRICE['logs_stored_gb_month']:.2f} × {prod_days / 30:.1f} months",
            PRICE["logs_stored_gb_month"] * prod_days / 30,
        ),
    ]
    return [*monthly, *per_unit], sum(cost for _, _, cost in monthly)


def _table(rows: list[tuple[str, str, float]]) -> list[str]:
    lines = ["| item | arithmetic | cost |", "|---|---|---|"]
    lines += [f"| {name} | {arithmetic} | {_money(cost)} |" for name, arithmetic, cost in rows]
    return lines


def render(figures: dict[str, Any]) -> str:
    memory = _template_memory()
    lines = [
        "# Cost model",
        "",
        "Generated by `make bench` (`python -m bench.cost_model`) from the figures the benchmarks measured",
        "(`docs/benchmarks.json`) and the memory sizes in `template.yaml`; prices are us-east-1 list prices",
        "(Lambda arm64, DynamoDB on-demand, HTTP API, SQS FIFO). Durations were measured against moto on the",
        "benchmark machine, so the compute lines are an estimate; request and item counts carry over exactly.",
        "Free tiers are ignored. A transaction's condition checks are priced as writes (an upper bound).",
        "",
    ]
    try:
        table, total = redemptions(figures, memory)
        lines += [
            "## Per 1,000,000 redemptions (validate + complete)",
            "",
            *table,
            "",
            f"**Total: {_money(total)}**",
            "",
        ]
    except KeyError as missing:
        lines += [
            "## Per 1,000,000 redemptions",
            "",
            f"Not computed: the benchmark figure {missing} is missing.",
            "",
        ]
    try:
        table, total = generated_codes(figures, memory)
        lines += ["## Per 100,000 generated codes", "", *table, "", f"**Total: {_money(total)}**", ""]
    except KeyError as missing:
        lines += [
            "## Per 100,000 generated codes",
            "",
            f"Not computed: the benchmark figure {missing} is missing.",
            "",
        ]
    lines += _sweep_section(memory)
    lines += snapstart_and_tracing(figures, memory)
    lines += [
        "Storage: 100,000 codes take about 30 MB (about 300 bytes an item with its index copies), "
        "$0.25 per GB-month.",
        "",
    ]
    rows, total = fixed_costs()
    lines += [
        "## Fixed costs of a deployed stage",
        "",
        "Paid whatever the traffic (the first four lines, a month), or per GB kept or written (the rest);",
        "counted from `template.yaml` and the metrics the code emits. At low traffic they outweigh the",
        "per-request costs above. The X-Ray line is a ceiling reached only with a request every second;",
        "`Tracing: Active` can be turned off per function to drop it.",
        "",
        *_table(rows),
        "",
        f"**Monthly floor: {_money(total)}** (first four lines; free tiers ignored)",
        "",
    ]
    return "\n".join(lines)


def write() -> None:
    figures = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    OUTPUT.write_text(render(figures))
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    write()
