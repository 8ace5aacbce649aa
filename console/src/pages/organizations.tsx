import { useEffect, useState } from "preact/hooks";
import { call, client } from "../api";
import { BASE } from "../config";
import { Link, navigate, useLocation } from "../router";
import { ErrorAlert, LoadMore, usePaged, useTitle, when } from "../ui";

export function OrganizationsPage() {
  useTitle("Organizations");
  const { query } = useLocation();
  const q = query.get("q") ?? "";
  const [term, setTerm] = useState(q);
  // The URL follows the box a moment after typing stops; the list follows the URL (the API searches).
  useEffect(() => {
    if (term === q) return;
    const timer = setTimeout(() => {
      navigate(`${BASE}/organizations${term ? `?q=${encodeURIComponent(term)}` : ""}`, { replace: true });
    }, 250);
    return () => clearTimeout(timer);
  }, [term, q]);
  const list = usePaged(
    (cursor) =>
      call(client.GET("/v1/organizations", { params: { query: { limit: 50, cursor, ...(q ? { q } : {}) } } })),
    [q],
  );
  const shown = list.items;

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
          placeholder="name or org key"
          onInput={(event) => setTerm((event.target as HTMLInputElement).value)}
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
