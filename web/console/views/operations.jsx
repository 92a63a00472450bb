// API keys, pipeline health with open alerts, and reconciliation of the ledger against the chain.
import { useState } from "preact/hooks";
import { api } from "../../shared/api.js";
import { call, P, session, useLoad, Status, ActionForm, Field, ErrorText, when, shortHash } from "../lib.jsx";

export function ApiKeys() {
  const keys = useLoad(() => call("GET", P("/api-keys")));
  const [created, setCreated] = useState(null);
  const [error, setError] = useState(null);
  return (
    <>
      <ActionForm submit="Create key" action={async (form, el) => {
        setCreated(await call("POST", P("/api-keys"), { body: { role: form.get("role"), name: form.get("name") } }));
        el.reset();
        keys.reload();
      }}>
        <h2>New key</h2>
        <label>Role<select name="role"><option value="shop">shop</option><option value="admin">admin</option><option value="partner">partner</option></select></label>
        <Field label="Name" name="name" />
      </ActionForm>
      {created?.key && <p class="card" role="status">New {created.role} key (shown once): <code>{created.key}</code></p>}
      <Status state={keys} what="API keys" />
      <ErrorText error={error} />
      {keys.data && (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <thead><tr><th>Name</th><th>Role</th><th>Prefix</th><th>Created</th><th>Revoked</th><th>Action</th></tr></thead>
            <tbody>
              {keys.data.map((k) => (
                <tr key={k.id}><td>{k.name || "—"}</td><td>{k.role}</td><td><code>{k.prefix}</code></td><td>{when(k.createdAt)}</td><td>{when(k.revokedAt)}</td>
                  <td>{!k.revokedAt && k.id !== session.me?.keyId &&
                    <button type="button" class="secondary" onClick={() => call("DELETE", P(`/api-keys/${k.id}`)).then(keys.reload, setError)}>Revoke {k.name || k.prefix}</button>}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

export function Pipeline() {
  const health = useLoad(() => api("GET", "/health/ready", { raw: true }).then(async (r) => ({ status: r.status, body: await r.json().catch(() => null) })));
  const alerts = useLoad(() => call("GET", "/v1/admin/alerts"));
  const settlement = useLoad(() => call("GET", P("/settlement")));
  const h = health.data?.body;
  return (
    <>
      <section aria-labelledby="health-h">
        <h2 id="health-h">Health</h2>
        <Status state={health} what="Health" />
        {h && (
          <>
            <p>Overall: <strong>{h.status || (health.data.status === 200 ? "Healthy" : "Unhealthy")}</strong></p>
            <ul>{Object.entries(h.checks || h.entries || {}).map(([name, c]) => <li key={name}>{name}: {c.status}{c.detail ? ` (${c.detail})` : ""}</li>)}</ul>
          </>
        )}
      </section>
      <section aria-labelledby="alerts-h">
        <h2 id="alerts-h">Open alerts</h2>
        {alerts.error && !alerts.missing
          ? <p class="muted">Only the deployment admin key sees the operator's alerts.</p>
          : <Status state={alerts} what="Alerts" />}
        {alerts.data && ((alerts.data.items || alerts.data).length === 0
          ? <p>No open alert.</p>
          : <ul>{(alerts.data.items || alerts.data).map((a, i) => <li key={a.id || i}>{a.code || a.kind}: {a.message || a.detail} ({when(a.openedAt || a.raisedAt || a.at)})</li>)}</ul>)}
      </section>
      <section aria-labelledby="batches-h">
        <h2 id="batches-h">Settlement batches</h2>
        <Status state={settlement} what="Settlement" />
        {settlement.data && (
          <div class="table-wrap" tabIndex={0}>
            <table>
              <thead><tr><th>Batch</th><th>Kind</th><th>Recipients</th><th>Total</th><th>Status</th><th>Transaction</th></tr></thead>
              <tbody>
                {settlement.data.batches.map((b) => (
                  <tr key={b.id}><td>{b.id}</td><td>{b.kind}</td><td>{b.recipients}</td><td>{b.total}</td><td>{b.status} / {b.chainTxStatus}</td><td><code>{shortHash(b.hash || b.txHash)}</code></td></tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

export function Reconciliation() {
  const latest = useLoad(() => call("GET", P("/reconciliation")));
  const r = latest.data;
  return (
    <>
      <ActionForm submit="Reconcile now" action={async () => { await call("POST", P("/reconciliation")); latest.reload(); }}>
        <p class="muted">Compares every member's mirrored on-chain balance with the token contract. Drift is reported, never fixed silently.</p>
      </ActionForm>
      <Status state={latest} what="The last reconciliation" />
      {r && (
        <div class="card">
          <p>Checked {when(r.checkedAt)} at block {r.block}: {r.membersChecked} members, {r.driftCount} with drift.
            {r.reconciled ? " Ledger and chain agree." : " Ledger and chain differ."}</p>
          <p>Ledger on chain: {r.ledgerOnChain} · chain total supply: {r.chainTotalSupply}</p>
          {r.drifts.length > 0 && <ul>{r.drifts.map((d, i) => <li key={i}><code>{JSON.stringify(d)}</code></li>)}</ul>}
        </div>
      )}
    </>
  );
}
