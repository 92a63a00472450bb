// Drops: create one, upload its image, choose the audience, publish, airdrop, and follow the mint progress with every
// transaction hash (GET /drops/{id}, polled while anything is in flight).
import { useEffect, useState } from "preact/hooks";
import { call, P, useLoad, Status, ActionForm, Field, ErrorText, when } from "../lib.jsx";

function Progress({ id }) {
  const detail = useLoad(() => call("GET", P(`/drops/${id}`)), [id]);
  const [error, setError] = useState(null);
  const d = detail.data;
  const busy = d && (d.queued + d.batched > 0 || d.drop.status === "Publishing");
  useEffect(() => {
    if (!busy) return;
    const t = setTimeout(detail.reload, 1500);
    return () => clearTimeout(t);
  }, [d]);
  if (!d) return <Status state={detail} what="Drop" />;
  const act = (path, body) => call("POST", P(`/drops/${id}${path}`), { body }).then(detail.reload, setError);
  return (
    <section class="card" aria-labelledby={`drop-${id}`}>
      <h2 id={`drop-${id}`}>{d.drop.name}</h2>
      <div class="row">
        {d.drop.image && <img src={d.drop.image} alt={`Image of ${d.drop.name}`} width="96" height="96" />}
        <p>Status: <strong data-testid="drop-status">{d.drop.status}</strong>{d.drop.statusDetail ? ` (${d.drop.statusDetail})` : ""}<br />
          Audience: {d.drop.audience.kind}{d.drop.audience.tiers?.length ? ` (tiers ${d.drop.audience.tiers.join(", ")})` : ""}</p>
      </div>
      {d.drop.status === "Draft" && (
        <>
          <ActionForm submit="Upload image" action={async (form) => {
            const file = form.get("image");
            if (!file || !file.size) throw new Error("Choose an image file first.");
            await call("PUT", P(`/drops/${id}/image`), { body: file });
            detail.reload();
          }}>
            <label>Image (PNG, JPEG or SVG, at most 256 KiB)<input type="file" name="image" accept="image/png,image/jpeg,image/svg+xml" /></label>
          </ActionForm>
          <button type="button" onClick={() => act("/publish")}>Publish {d.drop.name}</button>
        </>
      )}
      {d.drop.status === "Published" && (
        <ActionForm submit="Airdrop" action={async (form) => {
          const ids = String(form.get("members") || "").split(/[\s,]+/).filter(Boolean);
          await call("POST", P(`/drops/${id}/airdrop`), { body: d.drop.audience.kind === "Explicit" ? { memberIds: ids } : {} });
          detail.reload();
        }}>
          {d.drop.audience.kind === "Explicit"
            ? <Field label="Member ids (comma separated)" name="members" required />
            : <p class="muted">Airdrop to every member the audience rule selects.</p>}
        </ActionForm>
      )}
      <ErrorText error={error} />
      <h3>Mint progress</h3>
      <label>Minted {d.minted} of {d.planned} planned
        <progress max={Math.max(1, d.planned)} value={d.minted} />
      </label>
      <p>Queued {d.queued} · in flight {d.batched} · minted <span data-testid="minted">{d.minted}</span> · not minted {d.failed}</p>
      {d.notMinted.length > 0 && <ul>{d.notMinted.map((n) => <li key={n.memberId}>{n.memberId}: {n.code}</li>)}</ul>}
      <div class="table-wrap" tabIndex={0}>
        <table>
          <thead><tr><th>Purpose</th><th>Status</th><th>Recipients</th><th>Transaction hash</th><th>Block</th></tr></thead>
          <tbody>
            {d.transactions.map((t) => (
              <tr key={t.chainTxId}><td>{t.purpose}</td><td>{t.outcome || t.status}</td><td>{t.recipients ?? "—"}</td>
                <td><code class="tx-hash">{t.hash || "not sent yet"}</code></td><td>{t.blockNumber ?? "—"}</td></tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function Drops() {
  const drops = useLoad(() => call("GET", P("/drops")));
  const [open, setOpen] = useState(null);
  return (
    <>
      <ActionForm submit="Create drop" action={async (form, el) => {
        const tiers = String(form.get("tiers") || "").split(",").map((t) => t.trim()).filter(Boolean);
        const audience = form.get("audience") === "Rule" ? { kind: "Rule", tiers } : { kind: "Explicit" };
        const created = await call("POST", P("/drops"), {
          body: { name: form.get("name"), description: form.get("description"), maxSupply: Number(form.get("maxSupply") || 100), audience },
        });
        el.reset();
        drops.reload();
        setOpen(created.id);
      }}>
        <h2>New drop</h2>
        <div class="grid2">
          <Field label="Name" name="name" required />
          <Field label="Description" name="description" />
          <Field label="Maximum supply" name="maxSupply" inputMode="numeric" defaultValue="100" />
          <label>Audience
            <select name="audience"><option value="Explicit">members I name</option><option value="Rule">members in tiers</option></select>
          </label>
          <Field label="Tiers (for the tier audience)" name="tiers" />
        </div>
      </ActionForm>
      <Status state={drops} what="Drops" />
      {drops.data && (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <thead><tr><th>Drop</th><th>Status</th><th>Supply</th><th>Created</th></tr></thead>
            <tbody>
              {drops.data.map((d) => (
                <tr key={d.id}><td><button type="button" class="secondary" onClick={() => setOpen(d.id)}>{d.name}</button></td>
                  <td>{d.status}</td><td>{d.maxSupply}</td><td>{when(d.createdAt)}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {open && <Progress key={open} id={open} />}
    </>
  );
}
