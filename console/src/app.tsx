/** The shell: sign-in gate, main navigation and the routes. */
import { useEffect, useState } from "preact/hooks";
import { currentToken, onAuthChange, signOut } from "./auth";
import type { ConsoleConfig } from "./config";
import { BASE } from "./config";
import { CatalogPage } from "./pages/catalog";
import { ContractEditPage, ContractNewPage } from "./pages/contractForm";
import { ContractPage } from "./pages/contract";
import { ContractsPage } from "./pages/contracts";
import { OrganizationNewPage, OrganizationPage } from "./pages/organization";
import { OrganizationsPage } from "./pages/organizations";
import { CallbackPage, SignInPage } from "./pages/signin";
import { Link, match, navigate, useLocation } from "./router";

function useSignedIn(): boolean {
  const [signedIn, setSignedIn] = useState(currentToken() !== null);
  useEffect(() => onAuthChange(() => setSignedIn(currentToken() !== null)), []);
  return signedIn;
}

function NotFound() {
  return (
    <>
      <h1>Not found</h1>
      <p>
        Nothing lives at this address. Go to <Link href={`${BASE}/contracts`}>the contracts</Link>.
      </p>
    </>
  );
}

function Routes({ path }: { path: string }) {
  let params: Record<string, string> | null;
  if (match(`${BASE}/organizations`, path)) return <OrganizationsPage />;
  if (match(`${BASE}/organizations/new`, path)) return <OrganizationNewPage />;
  if ((params = match(`${BASE}/organizations/:orgId`, path))) return <OrganizationPage key={params.orgId} orgId={params.orgId ?? ""} />;
  if (match(`${BASE}/contracts`, path)) return <ContractsPage />;
  if (match(`${BASE}/contracts/new`, path)) return <ContractNewPage />;
  if ((params = match(`${BASE}/contracts/:contractId/edit`, path)))
    return <ContractEditPage contractId={params.contractId ?? ""} />;
  if ((params = match(`${BASE}/contracts/:contractId`, path)))
    return <ContractPage key={params.contractId} contractId={params.contractId ?? ""} />;
  if ((params = match(`${BASE}/catalog/:tab`, path))) return <CatalogPage tab={params.tab ?? "courses"} />;
  if (match(`${BASE}/catalog`, path)) return <CatalogPage tab="courses" />;
  return <NotFound />;
}

const SECTIONS = [
  ["Organizations", `${BASE}/organizations`],
  ["Contracts", `${BASE}/contracts`],
  ["Catalog", `${BASE}/catalog`],
] as const;

export function App({ config }: { config: ConsoleConfig }) {
  const signedIn = useSignedIn();
  const { path, href } = useLocation();

  const atRoot = path === BASE || path === `${BASE}/`;
  const atSignIn = match(`${BASE}/signin`, path) !== null;
  const atCallback = match(`${BASE}/callback`, path) !== null;

  useEffect(() => {
    if (atCallback) return;
    if (!signedIn && !atSignIn) {
      const next = atRoot ? `${BASE}/contracts` : href;
      navigate(`${BASE}/signin?next=${encodeURIComponent(next)}`, { replace: true });
    } else if (signedIn && atRoot) {
      navigate(`${BASE}/contracts`, { replace: true });
    }
  }, [signedIn, href, atSignIn, atRoot, atCallback]);

  if (atCallback && config.auth.mode === "oidc") return <CallbackPage auth={config.auth} />;
  if (!signedIn || atSignIn) return <SignInPage config={config} signedIn={signedIn} />;
  if (atRoot) return null;

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">B2B console</span>
        <nav aria-label="Main">
          <ul>
            {SECTIONS.map(([label, to]) => (
              <li key={to}>
                <Link href={to} aria-current={path.startsWith(to) ? "page" : undefined}>
                  {label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            signOut();
            if (config.auth.mode === "oidc" && config.auth.logout_uri) {
              window.location.assign(config.auth.logout_uri);
            }
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main">
        <Routes path={path} />
      </main>
    </>
  );
}
