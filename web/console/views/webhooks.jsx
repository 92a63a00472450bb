// Webhooks and their deliveries, coded against the shared webhooks contract; a server without them answers 404.
import { useState } from "preact/hooks";
import { call, P, useLoad, Status, ActionForm, Field, when } from "../lib.jsx";

function Deliveries({ hook }) {
  const deliveries = useLoad(() => call("GET", P(`/webhooks/${hook.id}/deliveries?limit=20`)), [hook.id]);
  return (
    <section aria-labelledby={`d-${hook.id}`}>
      <h3 id={`d-${hook.id}`}>Deliveries to {hook.url}</h3>
      <Status state={deliveries} what="Deliveries" />
      {deliveries.data && (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <thead><tr><th>Event</th><th>Status</th><th>Attempts</th><th>Last code</th><th>Created</th><th>Action</th></tr></thead>
            <tbody>
              {deliveries.data.items.map((d) => (
                <tr key={d.id}>
                  <td>{d.eventType}</td><td>{d.status}</td><td>{d.attempts}</td><td>{d.lastStatusCode ?? d.lastError ?? "—"}</td><td>{when(d.createdAt)}</td>
                  <td>
                    <button type="button" class="secondary" onClick={() => call("POST", P(`/webhooks/${hook.id}/deliveries/${d.id}/redeliver`)).then(deliveries.reload)}>
                      Redeliver
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function Webhooks() {
  const hooks = useLoad(() => call("GET", P("/webhooks")));
  const [secret, setSecret] = useState(null);
  const [open, setOpen] = useState(null);
  if (hooks.missing || (hooks.error && !hooks.data)) return <Status state={hooks} what="Webhooks" />;
  return (
    <>
      <Status state={hooks} what="Webhooks" />
      <ActionForm submit="Add webhook" action={async (form, el) => {
        const types = String(form.get("types") || "").split(",").map((t) => t.trim()).filter(Boolean);
        const created = await call("POST", P("/webhooks"), { body: { url: form.get("url"), eventTypes: types } });
        setSecret(created.secret);
        el.reset();
        hooks.reload();
      }}>
        <h2>New webhook</h2>
        <Field label="URL" name="url" type="url" required />
        <Field label="Event types (comma separated, empty for all)" name="types" />
      </ActionForm>
      {secret && <p class="card" role="status">Signing secret (shown once): <code>{secret}</code></p>}
      {hooks.data && (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <thead><tr><th>URL</th><th>Events</th><th>Enabled</th><th>Last delivery</th><th>Deliveries</th></tr></thead>
            <tbody>
              {hooks.data.map((h) => (
                <tr key={h.id}>
                  <td><code>{h.url}</code></td><td>{(h.eventTypes || []).join(", ") || "all"}</td>
                  <td>{h.enabled ? "yes" : `no${h.disabledReason ? ` (${h.disabledReason})` : ""}`}</td><td>{when(h.lastDeliveryAt)}</td>
                  <td><button type="button" class="secondary" onClick={() => setOpen(h)}>Show deliveries</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {open && <Deliveries hook={open} />}
    </>
  );
}
