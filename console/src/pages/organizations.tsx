import { useState } from "preact/hooks";
import { call, client, type Organization } from "../api";
import { BASE } from "../config";
import { Link, navigate, useLocation } from "../router";
import { ErrorAlert, LoadMore, usePaged, useTitle, when } from "../ui";

function matches(org: Organization, term: string): boolean {
  const needle = term.trim().toLowerCase();
  if (!needle) return true;
  return [org.name, org.slug, org.org_key, org.sso_organization_id ?? "", ...org.sso_aliases].some((value) =>
    value.toLowerCase().includes(needle),
  );
}

export function OrganizationsPage() {
  useTitle("Organizations");
  const { query } = useLocation();
  const q = query.get("q") ?? "";
  const [term, setTerm] = useState(q);
  const list = usePaged(
    (cursor) => call(client.GET("/v1/organizations", { params: { query: { limit: 50, cursor } } })),
    [],
  );
  const shown = list.items.filter((org) => matches(org, q));

  return (
    <>
      <div class="page-head">
        <h1>Organizations</h1>
        <Link class="button" href={`${BASE}/organizations/new`}>
          New organization
        </Link>
      </div>
      <form
        role="search"
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          navigate(`${BASE}/organizations${term ? `?q=${encodeURIComponent(term)}` : ""}`, { replace: true });
        }}
      >
        <label for="org-search">Search organizations</label>
        <input
          id="org-search"
          type="search"
          value={term}
          placeholder="name, key or SSO id"
          onInput={(event) => {
            const value = (event.target as HTMLInputElement).value;
            setTerm(value);
            navigate(`${BASE}/organizations${value ? `?q=${encodeURIComponent(value)}` : ""}`, { replace: true });
          }}
        />
      </form>
      <ErrorAlert error={list.error} />
      <table aria-label="Organizations">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Org key</th>
            <th scope="col">SSO organization id</th>
            <th scope="col">SSO aliases</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((org) => (
            <tr key={org.id}>
              <td>
                <Link href={`${BASE}/organizations/${org.id}`}>{org.name}</Link>
              </td>
              <td>
                <code>{org.org_key}</code>
              </td>
              <td>{org.sso_organization_id ?? "—"}</td>
              <td>{org.sso_aliases.join(", ") || "—"}</td>
              <td>{when(org.created_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!list.loading && shown.length === 0 ? <p class="empty">No organizations{q ? ` match “${q}”` : ""}.</p> : null}
      {list.loading ? <p class="loading">Loading…</p> : null}
      <LoadMore list={list} />
    </>
  );
}
