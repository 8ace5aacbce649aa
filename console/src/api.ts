/** The typed API client (generated from the committed OpenAPI document) and the API's errors. */
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./api/schema";
import { currentToken, signOut } from "./auth";

export type Schemas = components["schemas"];
export type Organization = Schemas["OrganizationOut"];
export type Contract = Schemas["ContractOut"];
export type Course = Schemas["CourseOut"];
export type CourseRun = Schemas["CourseRunOut"];
export type Program = Schemas["ProgramOut"];
export type Code = Schemas["CodeOut"];
export type Membership = Schemas["MembershipOut"];
export type DefaultEnrollment = Schemas["DefaultEnrollmentOut"];
export type Stats = Schemas["ContractStatsOut"];
export type Health = Schemas["CodeHealthOut"];
export type Courseware = Schemas["CoursewareOut"];
export type MembershipType = Schemas["MembershipType"];

/** An error the API answered: its message, and the fields it names (from a 422's details). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

interface ErrorShape {
  error?: { code?: string; message?: string; details?: { field?: string; message?: string }[] };
  message?: string;
}

/** Turn any answer's error body (the API's `{"error": …}` or the gateway's `{"message": …}`) into an ApiError. */
export function toApiError(status: number, body: unknown): ApiError {
  const shape = (body ?? {}) as ErrorShape;
  if (shape.error) {
    const fields: Record<string, string> = {};
    for (const detail of shape.error.details ?? []) {
      if (detail.field && detail.message) {
        // "sso_aliases.0" is the form's "sso_aliases"; the first message per field wins.
        const field = detail.field.split(".")[0] ?? detail.field;
        fields[field] ??= detail.message;
      }
    }
    return new ApiError(shape.error.message ?? `HTTP ${status}`, status, shape.error.code ?? "error", fields);
  }
  return new ApiError(shape.message ?? `HTTP ${status}`, status, "gateway");
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

let apiBase = "";

const auth: Middleware = {
  onRequest({ request }) {
    const token = currentToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  onResponse({ response }) {
    // An expired or refused token: back to the sign-in page (which keeps where we were).
    if (response.status === 401 && currentToken()) signOut();
    return response;
  },
};

function makeClient(baseUrl: string) {
  const made = createClient<paths>({ baseUrl });
  made.use(auth);
  return made;
}

/** The API client; made again by configureApi once the runtime config names the API's origin. */
export let client = makeClient("");

export function configureApi(base: string): void {
  apiBase = base.replace(/\/$/, "");
  client = makeClient(apiBase);
}

export function apiUrl(path: string): string {
  return `${apiBase}${path}`;
}

/** Unwrap an openapi-fetch answer: the data, or throw the API's error. */
export async function call<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await pending;
  } catch (error) {
    throw new ApiError(`the API could not be reached: ${messageOf(error)}`, 0, "network");
  }
  if (!result.response.ok) {
    throw toApiError(result.response.status, result.error);
  }
  return result.data as T;
}

/** A plain authorised fetch for what the typed client does not cover (CSV). */
export async function authorisedFetch(path: string): Promise<Response> {
  const token = currentToken();
  const response = await fetch(apiUrl(path), {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  if (response.status === 401 && token) signOut();
  return response;
}
