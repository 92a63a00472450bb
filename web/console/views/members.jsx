// Members: search (external id prefix, tier), then one member's balances, history, tier (with override), adjustments and block.
import { useState } from "preact/hooks";
import { call, P, useLoad, Status, ActionForm, Field, fmt, when, shortHash } from "../lib.jsx";

function Detail({ id, onClose }) {
  const member = useLoad(() => call("GET", P(`/members/${encodeURIComponent(id)}`)), [id]);
  const history = useLoad(() => call("GET", P(`/members/${encodeURIComponent(id)}/history?limit=20`)), [id]);
  const adjustments = useLoad(() => call("GET", P(`/members/${encodeURIComponent(id)}/adjustments`)), [id]);
  const reload = () => { member.reload(); history.reload(); adjustments.reload(); };
  const m = member.data;
  const path = (s) => P(`/members/${encodeURIComponent(id)}${s}`);
  return (
    <section class="card" aria-labelledby="member-h">
      <h2 id="member-h">Member {id}</h2>
      <button type="button" class="secondary" onClick={onClose}>Back to the list</button>
      <Status state={member} what="Member" />
      {m && (
        <>
          <dl class="grid2">
            <div><dt class="muted">Available</dt><dd>{fmt(m.balance.available)}</dd></div>
            <div><dt class="muted">Pending</dt><dd>{fmt(m.balance.pending)}</dd></div>
            <div><dt class="muted">On chain</dt><dd>{fmt(m.balance.onChain)}</dd></div>
            <div><dt class="muted">Tier</dt><dd>{m.tier || "none"}{m.tierStatus?.source ? ` (${m.tierStatus.source})` : ""}</dd></div>
            <div><dt class="muted">Wallet</dt><dd><code>{m.walletAddress}</code> ({m.walletKind})</dd></div>
            <div><dt class="muted">Blocked</dt><dd>{m.blocked ? `yes: ${m.blocked.reason || ""}` : "no"}</dd></div>
          </dl>
          <div class="grid2">
            <ActionForm submit="Apply adjustment" action={async (form) => {
              await call("POST", path("/adjustments"), { body: { type: form.get("type"), points: form.get("points"), reason: form.get("reason"), comment: form.get("comment") } });
              reload();
            }}>
              <h3>Adjust points</h3>
              <label>Type<select name="type"><option value="grant">grant</option><option value="deduct">deduct</option></select></label>
              <Field label="Points" name="points" inputMode="numeric" required />
              <Field label="Reason (e.g. goodwill)" name="reason" required pattern="[a-z][a-z0-9_]{0,31}" />
              <Field label="Comment" name="comment" />
            </ActionForm>
            <ActionForm submit="Set tier" action={async (form) => {
              const tier = String(form.get("tier") || "").trim();
              if (tier) await call("POST", path("/tier"), { body: { tier } });
              else await call("DELETE", path("/tier"));
              reload();
            }}>
              <h3>Tier override</h3>
              <Field label="Tier (empty removes the override)" name="tier" />
            </ActionForm>
            <ActionForm submit={m.blocked ? "Unblock" : "Block"} action={async (form) => {
              if (m.blocked) await call("POST", path("/unblock"));
              else await call("POST", path("/block"), { body: { reason: form.get("reason") } });
              reload();
            }}>
              <h3>{m.blocked ? "Blocked" : "Block"}</h3>
              {!m.blocked && <Field label="Reason" name="reason" />}
            </ActionForm>
          </div>
        </>
      )}
      <h3>History</h3>
      <Status state={history} what="History" />
      {history.data && (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <thead><tr><th>When</th><th>Kind</th><th>Account</th><th>Amount</th><th>Transaction</th></tr></thead>
            <tbody>
              {history.data.items.map((h) => (
                <tr key={h.id}><td>{when(h.at)}</td><td>{h.kind}{h.eventType ? ` (${h.eventType})` : ""}</td><td>{h.account}</td><td>{fmt(h.amount)}</td>
                  <td><code>{shortHash(h.txHash || h.hash)}</code></td></tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>Adjustments</h3>
      <Status state={adjustments} what="Adjustments" />
      {adjustments.data && (
        <ul>{(adjustments.data.items || adjustments.data).map((a) => <li key={a.id}>{a.type} {a.points} ({a.reason}) {when(a.createdAt)}</li>)}</ul>
      )}
    </section>
  );
}

export function Members() {
  const [query, setQuery] = useState("");
  const [open, setOpen] = useState(null);
  const list = useLoad(() => call("GET", P(`/members?limit=50${query ? `&externalIdPrefix=${encodeURIComponent(query)}` : ""}`)), [query]);
  if (open) return <Detail id={open} onClose={() => setOpen(null)} />;
  return (
    <>
      <form class="card row" role="search" onSubmit={(e) => { e.preventDefault(); setQuery(String(new FormData(e.currentTarget).get("q")).trim()); }}>
        <label>Member id starts with<input name="q" defaultValue={query} /></label>
        <button type="submit">Search</button>
      </form>
      <Status state={list} what="Members" />
      {list.data && (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <thead><tr><th>Member</th><th>Tier</th><th>Available</th><th>Joined</th></tr></thead>
            <tbody>
              {list.data.items.map((m) => (
                <tr key={m.memberId}>
                  <td><button type="button" class="secondary" onClick={() => setOpen(m.memberId)}>{m.memberId}</button></td>
                  <td>{m.tier || "—"}</td><td>{fmt(m.balance.available)}</td><td>{when(m.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.data.items.length === 0 && <p class="muted">No member matches.</p>}
        </div>
      )}
    </>
  );
}
