// Small building blocks of the console: a data loader hook, labelled fields and the API call with the signed-in key.
import { useEffect, useState, useCallback } from "preact/hooks";
import { api, ApiError } from "../shared/api.js";

/** The signed-in session: the key (memory only; sessionStorage so a reload in this tab keeps it) and what /v1/me said. */
export const session = { key: "", me: null, programId: null };

export const call = (method, path, options = {}) => api(method, path, { ...options, credential: { kind: "apiKey", key: session.key } });
export const P = (path) => `/v1/programs/${session.programId}${path}`;

/** Loads with `load()`; `reload` runs it again. `missing` is true when the endpoint answered 404 (not on this server). */
export function useLoad(load, deps = []) {
  const [state, setState] = useState({ loading: true, data: null, error: null, missing: false });
  const run = useCallback(() => {
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => setState({ loading: false, data, error: null, missing: false }),
      (error) => setState({ loading: false, data: null, error, missing: error instanceof ApiError && error.status === 404 }),
    );
  }, deps);
  useEffect(run, [run]);
  return { ...state, reload: run };
}

export function Status({ state, what }) {
  if (state.loading && !state.data) return <p class="muted" role="status">Loading {what}…</p>;
  if (state.missing) return <p class="card" role="status">{what} is not available on this server.</p>;
  if (state.error) return <ErrorText error={state.error} />;
  return null;
}

export function ErrorText({ error }) {
  if (!error) return null;
  return <p class="error" role="alert">{error.code ? `${error.code}: ` : ""}{error.message}</p>;
}

export function Field({ label, ...props }) {
  return (
    <label>
      {label}
      <input {...props} />
    </label>
  );
}

/** A form whose submit runs `action`, shows its error and disables itself while it runs. */
export function ActionForm({ action, children, submit, class: cls, id }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const onSubmit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action(new FormData(e.currentTarget), e.currentTarget);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form id={id} class={cls || "card"} onSubmit={onSubmit}>
      {children}
      <button type="submit" disabled={busy}>{submit}</button>
      <ErrorText error={error} />
    </form>
  );
}

export const fmt = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString());
export const when = (t) => (t ? new Date(t).toLocaleString() : "—");
export const shortHash = (h) => (h ? `${h.slice(0, 10)}…${h.slice(-6)}` : "—");
