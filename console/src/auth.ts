/**
 * Who is signed in. The token lives in this module's memory only: a reload signs out. The only thing
 * written to sessionStorage is the PKCE verifier, state and return path for the redirect round trip.
 */
import * as oauth from "oauth4webapi";
import type { ConsoleConfig, OidcAuth } from "./config";
import { BASE } from "./config";

let token: string | null = null;
const listeners = new Set<() => void>();

export function currentToken(): string | null {
  return token;
}

function setToken(value: string | null): void {
  token = value;
  listeners.forEach((listener) => listener());
}

export function onAuthChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

let renewal: ReturnType<typeof setTimeout> | undefined;

export function signOut(): void {
  clearTimeout(renewal);
  setToken(null);
}

/** Local stack: the stack mints an admin dev token. */
export async function signInLocal(config: ConsoleConfig): Promise<void> {
  const response = await fetch(`${config.api_base}/_local/dev-token`, { method: "POST" });
  if (!response.ok) {
    throw new Error(`the local stack refused a dev token (${response.status})`);
  }
  const body = (await response.json()) as { token?: string };
  if (!body.token) {
    throw new Error("the local stack answered no token");
  }
  setToken(body.token);
}

const PENDING_KEY = "b2b-console.oidc";

interface Pending {
  verifier: string;
  state: string;
  next: string;
}

/** Plain HTTP only for an identity provider on this machine (a Keycloak in development). */
function httpOptions(auth: OidcAuth): { [oauth.allowInsecureRequests]?: boolean } {
  const host = new URL(auth.authority).hostname;
  const local = host === "localhost" || host === "127.0.0.1" || host === "[::1]";
  return local && auth.authority.startsWith("http:") ? { [oauth.allowInsecureRequests]: true } : {};
}

/**
 * The identity provider's endpoints: from its discovery document (a Keycloak realm, a Cognito user
 * pool's issuer URL), or, for a Cognito Hosted UI domain (which publishes none), its fixed
 * `/oauth2/authorize` and `/oauth2/token` with the user pool's `issuer` from the config.
 */
async function discover(auth: OidcAuth): Promise<oauth.AuthorizationServer> {
  const authority = new URL(auth.authority);
  let response: Response | null = null;
  try {
    response = await oauth.discoveryRequest(authority, { algorithm: "oidc", ...httpOptions(auth) });
  } catch {
    response = null;
  }
  if (response?.ok) {
    return oauth.processDiscoveryResponse(authority, response);
  }
  const base = auth.authority.replace(/\/$/, "");
  return {
    issuer: auth.issuer ?? base,
    authorization_endpoint: `${base}/oauth2/authorize`,
    token_endpoint: `${base}/oauth2/token`,
  };
}

/** OIDC: authorization code with PKCE; the browser leaves for the identity provider's sign-in page. */
export async function signInOidc(auth: OidcAuth, next: string): Promise<void> {
  const server = await discover(auth);
  if (!server.authorization_endpoint) {
    throw new Error("the identity provider names no authorization endpoint");
  }
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const pending: Pending = { verifier, state, next };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(server.authorization_endpoint);
  url.searchParams.set("client_id", auth.client_id);
  url.searchParams.set("redirect_uri", auth.redirect_uri);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("scope", auth.scopes.join(" "));
  url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set("code_challenge_method", "S256");
  url.searchParams.set("state", state);
  window.location.assign(url.href);
}

/** OIDC: back from the identity provider; trade the code for tokens and answer where to go next. */
export async function completeOidc(auth: OidcAuth, here: URL): Promise<string> {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (!raw) {
    throw new Error("this sign-in was not started here (or was already used); sign in again");
  }
  const pending = JSON.parse(raw) as Pending;
  const server = await discover(auth);
  const client: oauth.Client = { client_id: auth.client_id };
  const params = oauth.validateAuthResponse(server, client, here, pending.state);
  const response = await oauth.authorizationCodeGrantRequest(
    server,
    client,
    oauth.None(),
    params,
    auth.redirect_uri,
    pending.verifier,
    httpOptions(auth),
  );
  const result = await oauth.processAuthorizationCodeResponse(server, client, response);
  setToken(result.access_token);
  keepFresh(auth, server, client, result);
  return pending.next.startsWith(`${BASE}/`) ? pending.next : `${BASE}/contracts`;
}

/**
 * Renew the access token a minute before it expires with the refresh token, which is kept in this
 * closure only (never stored). Without one, or when renewal fails, the operator signs in again.
 */
function keepFresh(
  auth: OidcAuth,
  server: oauth.AuthorizationServer,
  client: oauth.Client,
  tokens: oauth.TokenEndpointResponse,
): void {
  clearTimeout(renewal);
  const refreshToken = tokens.refresh_token;
  if (!refreshToken || !tokens.expires_in) return;
  const delay = Math.max(tokens.expires_in - 60, 5) * 1000;
  renewal = setTimeout(() => {
    if (token !== tokens.access_token) return; // signed out, or signed in again meanwhile
    oauth
      .refreshTokenGrantRequest(server, client, oauth.None(), refreshToken, httpOptions(auth))
      .then((response) => oauth.processRefreshTokenResponse(server, client, response))
      .then((renewed) => {
        if (token !== tokens.access_token) return;
        setToken(renewed.access_token);
        keepFresh(auth, server, client, { ...renewed, refresh_token: renewed.refresh_token ?? refreshToken });
      })
      .catch(() => {
        // The next API call answers 401 and the console asks to sign in again.
      });
  }, delay);
}
