import { useEffect, useState } from "preact/hooks";
import { completeOidc, signInLocal, signInOidc } from "../auth";
import type { ConsoleConfig, OidcAuth } from "../config";
import { BASE } from "../config";
import { navigate, useLocation } from "../router";
import { ErrorAlert, useTitle } from "../ui";

function nextOf(query: URLSearchParams): string {
  const next = query.get("next") ?? "";
  // Only a page of the console: never a full URL elsewhere.
  return next.startsWith(`${BASE}/`) && !next.startsWith(`${BASE}/signin`) ? next : `${BASE}/contracts`;
}

export function SignInPage({ config, signedIn }: { config: ConsoleConfig; signedIn: boolean }) {
  useTitle("Sign in");
  const { query } = useLocation();
  const next = nextOf(query);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (signedIn) navigate(next, { replace: true });
  }, [signedIn, next]);

  const signIn = async () => {
    setBusy(true);
    setError(null);
    try {
      if (config.auth.mode === "local") {
        await signInLocal(config);
      } else {
        await signInOidc(config.auth, next);
      }
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  return (
    <main id="main" class="signin">
      <h1>B2B console</h1>
      <p>Organizations, contracts, enrollment codes and the catalog, over the admin API.</p>
      <ErrorAlert error={error} />
      <button type="button" disabled={busy} onClick={() => void signIn()}>
        {config.auth.mode === "local" ? "Sign in as local admin" : "Sign in"}
      </button>
      {config.auth.mode === "local" ? (
        <p class="hint">The local stack signs you in with an admin dev token.</p>
      ) : null}
    </main>
  );
}

export function CallbackPage({ auth }: { auth: OidcAuth }) {
  useTitle("Signing in");
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    completeOidc(auth, new URL(window.location.href))
      .then((next) => navigate(next, { replace: true }))
      .catch(setError);
  }, [auth]);
  return (
    <main id="main" class="signin">
      <h1>Signing in</h1>
      {error ? (
        <>
          <ErrorAlert error={error} />
          <button type="button" onClick={() => navigate(`${BASE}/signin`, { replace: true })}>
            Back to sign-in
          </button>
        </>
      ) : (
        <p role="status">Finishing the sign-in…</p>
      )}
    </main>
  );
}
