"""Admin routes for a contract's enrollment codes: list, CSV export (paged), stats, health, repair."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from b2b.api.base import PageOut
from b2b.api.code_schemas import CodeHealthOut, CodeOut, ContractStatsOut, ReconcileQueuedOut
from b2b.api.openapi import operation
from b2b.api.resolver import ContractIdPath, PageCursor, PageLimit, page_size
from b2b.domain.reconcile import CodeStatus
from b2b.services import code_repair, code_reports

router = APIGatewayHttpRouter()

ProductFilter = Annotated[int | None, Query(ge=1, le=2**53, description="only this product's codes")]
CsvLimit = Annotated[int | None, Query(ge=1, le=20_000, description="rows per CSV page")]


@router.get(
    "/v1/contracts/<contract_id>/codes",
    **operation(
        "List a contract's codes",
        "Pages through the contract's enrollment codes, optionally by status or product.",
        role="admin",
        tag="codes",
        errors={404: "No contract has this id (`contract_not_found`)."},
    ),
)
def list_codes(
    contract_id: ContractIdPath,
    status: Annotated[CodeStatus | None, Query(description="available | redeemed | deactivated")] = None,
    product_id: ProductFilter = None,
    limit: PageLimit = None,
    cursor: PageCursor = None,
) -> PageOut[CodeOut]:
    return PageOut[CodeOut].of(
        code_reports.list_codes(contract_id, status, product_id, page_size(limit), cursor), CodeOut.of
    )


@router.get(
    "/v1/contracts/<contract_id>/codes.csv",
    **operation(
        "Export a contract's codes as CSV",
        "Columns `Code, Product, Redeemed, Product URL, Attach URL`, file `codes-<id>.csv`. Long "
        'exports are paged: follow the `Link: rel="next"` header (or `X-Next-Cursor`).',
        role="admin",
        tag="codes",
        ok_description="One page of the CSV.",
        success={200: {"text/csv": {"schema": {"type": "string"}}}},
        errors={404: "No contract has this id (`contract_not_found`)."},
    ),
)
def export_codes(
    contract_id: ContractIdPath,
    product_id: ProductFilter = None,
    limit: CsvLimit = None,
    cursor: PageCursor = None,
) -> Response[str]:
    page = code_reports.export_codes_csv(contract_id, product_id, limit, cursor)
    headers = {"Content-Disposition": f'attachment; filename="codes-{contract_id}.csv"'}
    if page.next_cursor:
        query = f"cursor={page.next_cursor}" + (f"&product_id={product_id}" if product_id else "")
        if limit:
            query += f"&limit={limit}"
        headers["X-Next-Cursor"] = page.next_cursor
        headers["Link"] = f'</v1/contracts/{contract_id}/codes.csv?{query}>; rel="next"'
    return Response(status_code=200, content_type="text/csv; charset=utf-8", body=page.text, headers=headers)


@router.get(
    "/v1/contracts/<contract_id>/stats",
    **operation(
        "Contract statistics",
        "Seats taken against the cap, and codes available, redeemed and deactivated per product.",
        role="admin",
        tag="codes",
        errors={404: "No contract has this id (`contract_not_found`)."},
    ),
)
def contract_stats(contract_id: ContractIdPath) -> ContractStatsOut:
    return ContractStatsOut.of(code_reports.contract_stats(contract_id))


@router.get(
    "/v1/contracts/<contract_id>/codes/health",
    **operation(
        "Check a contract's codes",
        "Recounts the codes independently of the counters and reports every difference; "
        "`healthy: false` means a reconcile is due.",
        role="admin",
        tag="codes",
        errors={404: "No contract has this id (`contract_not_found`)."},
    ),
)
def code_health(contract_id: ContractIdPath) -> CodeHealthOut:
    return CodeHealthOut.of(code_reports.code_health(contract_id))


@router.post(
    "/v1/contracts/<contract_id>/reconcile",
    **operation(
        "Repair a contract's codes",
        "Queues a reconcile of the contract's codes now: counters recounted, drift repaired. The "
        "reconciler is idempotent, so asking twice is harmless.",
        role="admin",
        tag="codes",
        ok=202,
        ok_description="The reconcile was queued.",
        errors={404: "No contract has this id (`contract_not_found`)."},
    ),
)
def reconcile(contract_id: ContractIdPath) -> Response[ReconcileQueuedOut]:
    """Queue a reconcile of the contract's codes now (repairs drift; the reconciler is idempotent)."""
    request = code_repair.request_reconcile(contract_id)
    return Response(status_code=202, content_type="application/json", body=ReconcileQueuedOut.of(request))
