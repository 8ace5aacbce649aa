/** The runtime configuration, fetched from `/console/config.json` at start (never baked into the bundle). */

export interface LocalAuth {
  mode: "local";
}

export interface OidcAuth {
  mode: "oidc";
  /** Where sign-in happens: a Keycloak realm URL, a Cognito user pool's issuer URL, or its Hosted UI domain. */
  authority: string;
  /** The tokens' issuer when `authority` is a Cognito Hosted UI domain (its user pool's issuer URL). */
  issuer?: string;
  client_id: string;
  scopes: string[];
  redirect_uri: string;
  /** Where the identity provider sends the browser after signing out (optional). */
  logout_uri?: string;
}

export interface ConsoleConfig {
  /** The API's origin; "" means the console's own origin (the local stack). */
  api_base: string;
  auth: LocalAuth | OidcAuth;
}

export const BASE = "/console";

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch(`${BASE}/config.json`, { cache: "no-store" });
  if (!response.ok) {
    throw new Error(`${BASE}/config.json answered ${response.status}`);
  }
  const config = (await response.json()) as Partial<ConsoleConfig>;
  if (typeof config.api_base !== "string" || !config.auth || !("mode" in config.auth)) {
    throw new Error(`${BASE}/config.json needs "api_base" and "auth.mode"`);
  }
  return config as ConsoleConfig;
}
