import { useEffect, useState } from "preact/hooks";
import { call, client, type MembershipType, type Organization } from "../api";
import { BASE } from "../config";
import { Link, navigate, useLocation } from "../router";
import { ErrorAlert, LoadMore, usePaged, useTitle, when } from "../ui";

export const MEMBERSHIP_TYPES: MembershipType[] = ["auto", "code", "managed"];

/** Every organization (page after page), for pickers; a few hundred at most in practice. */
export function useAllOrganizations(): { organizations: Organization[]; error: unknown } {
  const [organizations, setOrganizations] = useState<Organization[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let stop = false;
    (async () => {
      const all: Organization[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 20 && !stop; page++) {
        const found = await call(client.GET("/v1/organizations", { params: { query: { limit: 100, cursor } } }));
        all.push(...found.items);
        if (!found.next_cursor) break;
        cursor = found.next_cursor;
      }
      if (!stop) setOrganizations(all.sort((a, b) => a.name.localeCompare(b.name)));
    })().catch((caught: unknown) => {
      if (!stop) setError(caught);
    });
    return () => {
      stop = true;
    };
  }, []);
  return { organizations, error };
}

export type StatusFilter = "open" | "closed" | "all";

export function ContractsTable({
  organizationId,
  membershipType = "",
  status = "all",
  organizations,
  label,
}: {
  organizationId?: number | undefined;
  membershipType?: string;
  status?: StatusFilter;
  organizations?: Map<number, Organization>;
  label: string;
}) {
  const list = usePaged(
    (cursor) =>
      call(
        client.GET("/v1/contracts", {
          params: {
            query: {
              limit: 50,
              cursor,
              ...(organizationId ? { organization_id: organizationId } : {}),
              ...(membershipType ? { membership_type: membershipType as MembershipType } : {}),
              ...(status !== "all" ? { status } : {}),
            },
          },
        }),
      ),
    [organizationId, membershipType, status],
  );
  const shown = list.items;
  return (
    <>
      <ErrorAlert error={list.error} />
      <table aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            {organizations ? <th scope="col">Organization</th> : null}
            <th scope="col">Membership type</th>
            <th scope="col">Max learners</th>
            <th scope="col">Status</th>
            <th scope="col">Start</th>
            <th scope="col">End</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((contract) => (
            <tr key={contract.id}>
              <td>
                <Link href={`${BASE}/contracts/${contract.id}`}>{contract.name}</Link>
              </td>
              {organizations ? (
                <td>
                  <Link href={`${BASE}/organizations/${contract.organization_id}`}>
                    {organizations.get(contract.organization_id)?.name ?? `#${contract.organization_id}`}
                  </Link>
                </td>
              ) : null}
              <td>{contract.membership_type}</td>
              <td>{contract.max_learners ?? "no cap"}</td>
              <td>
                <span class={contract.is_open ? "badge ok" : "badge"}>
                  {contract.is_open ? "open" : contract.active ? "closed" : "deactivated"}
                </span>
              </td>
              <td>{when(contract.start)}</td>
              <td>{when(contract.end)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!list.loading && shown.length === 0 ? <p class="empty">No contracts.</p> : null}
      {list.loading ? <p class="loading">Loading…</p> : null}
      <LoadMore list={list} />
    </>
  );
}

export function ContractsPage() {
  useTitle("Contracts");
  const { query } = useLocation();
  const organizationId = query.get("organization_id") ?? "";
  const membershipType = query.get("membership_type") ?? "";
  const statusParam = query.get("status");
  const status: StatusFilter = statusParam === "open" || statusParam === "closed" ? statusParam : "all";
  const { organizations, error } = useAllOrganizations();
  const byId = new Map(organizations.map((org) => [org.id, org]));

  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(query);
    if (value && value !== "all") next.set(name, value);
    else next.delete(name);
    const search = next.toString();
    navigate(`${BASE}/contracts${search ? `?${search}` : ""}`, { replace: true });
  };

  return (
    <>
      <div class="page-head">
        <h1>Contracts</h1>
        <Link class="button" href={`${BASE}/contracts/new${organizationId ? `?organization_id=${organizationId}` : ""}`}>
          New contract
        </Link>
      </div>
      <form class="toolbar filters" aria-label="Filters" onSubmit={(event) => event.preventDefault()}>
        <div class="field">
          <label for="filter-organization">Organization</label>
          <select
            id="filter-organization"
            value={organizationId}
            onChange={(event) => setFilter("organization_id", (event.target as HTMLSelectElement).value)}
          >
            <option value="">All organizations</option>
            {organizations.map((org) => (
              <option key={org.id} value={String(org.id)}>
                {org.name}
              </option>
            ))}
            {organizationId && !byId.has(Number(organizationId)) ? (
              <option value={organizationId}>#{organizationId}</option>
            ) : null}
          </select>
        </div>
        <div class="field">
          <label for="filter-membership-type">Membership type</label>
          <select
            id="filter-membership-type"
            value={membershipType}
            onChange={(event) => setFilter("membership_type", (event.target as HTMLSelectElement).value)}
          >
            <option value="">all</option>
            {MEMBERSHIP_TYPES.map((type) => (
              <option key={type} value={type}>
                {type}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-status">Status</label>
          <select
            id="filter-status"
            value={status}
            onChange={(event) => setFilter("status", (event.target as HTMLSelectElement).value)}
          >
            <option value="all">all</option>
            <option value="open">open</option>
            <option value="closed">closed</option>
          </select>
        </div>
      </form>
      <ErrorAlert error={error} />
      <ContractsTable
        organizationId={organizationId ? Number(organizationId) : undefined}
        membershipType={membershipType}
        status={status}
        organizations={byId}
        label="Contracts"
      />
    </>
  );
}
