// The pages use the same public API as every other client (see /openapi/v1.json). This wrapper adds what every call
// needs: JSON, an Idempotency-Key on every mutation, the credential, and problem details turned into an Error with a code.

/** @typedef {{ kind: "apiKey", key: string } | { kind: "session", csrf: string } | null} Credential */

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code || `HTTP_${status}`;
    this.problem = problem;
  }
}

export function newIdempotencyKey() {
  return crypto.randomUUID();
}

/**
 * @param {string} method
 * @param {string} path  a path under the API host, e.g. `/v1/programs/1/members/m-1`
 * @param {{ body?: any, credential?: Credential, idempotencyKey?: string, headers?: Record<string,string>, raw?: boolean }} [options]
 */
export async function api(method, path, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  const credential = options.credential;
  if (credential?.kind === "apiKey") headers["X-Api-Key"] = credential.key;
  if (credential?.kind === "session" && method !== "GET") headers["X-CSRF-Token"] = credential.csrf;
  let body;
  if (options.body instanceof FormData || options.body instanceof Blob) body = options.body;
  else if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  if (method !== "GET" && method !== "HEAD") headers["Idempotency-Key"] = options.idempotencyKey || newIdempotencyKey();
  const response = await fetch(path, { method, headers, body, credentials: "same-origin" });
  if (options.raw) return response;
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}
