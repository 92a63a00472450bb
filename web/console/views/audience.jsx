// Segments (editor, live member count, CSV export) and challenges (editor with steps, window, ordering, repetition).
// Every refusal is the API's problem details, shown as its code and detail: the page checks nothing the API does not.
import { useState } from "preact/hooks";
import { call, P, session, useLoad, Status, ActionForm, Field, ErrorText, when } from "../lib.jsx";
import { api } from "../../shared/api.js";

const list = (value) => String(value || "").split(",").map((x) => x.trim()).filter(Boolean);
const int = (value) => (value === null || value === "" ? undefined : Number(value));

function SegmentCount({ id, version }) {
  const count = useLoad(() => call("GET", P(`/segments/${id}/count`)), [id, version]);
  return <span data-testid={`segment-count-${id}`}>{count.data ? count.data.members.toLocaleString() : count.error ? "—" : "…"}</span>;
}

/** The CSV needs the key header, so it is fetched and handed to the browser as a download (nothing leaves this origin). */
async function exportCsv(segment) {
  const response = await api("GET", P(`/segments/${segment.id}/export.csv`), { credential: { kind: "apiKey", key: session.key }, raw: true });
  if (!response.ok) throw Object.assign(new Error((await response.json().catch(() => null))?.detail || `HTTP ${response.status}`), { code: `HTTP_${response.status}` });
  const url = URL.createObjectURL(await response.blob());
  const a = Object.assign(document.createElement("a"), { href: url, download: `segment-${segment.id}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function segmentBody(form) {
  const definition = {};
  const more = String(form.get("more") || "").trim();
  if (more) {
    let parsed;
    try { parsed = JSON.parse(more); } catch { parsed = null; }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
      throw Object.assign(new Error('"More conditions" must be a JSON object, e.g. {"birthdayMonth":"current"}'), { code: "NOT_JSON" });
    Object.assign(definition, parsed);
  }
  if (form.get("tiers")) definition.tiers = list(form.get("tiers"));
  if (form.get("minBalance")) definition.pointsBalance = { min: String(form.get("minBalance")) };
  if (form.get("lastPurchase")) definition.lastPurchaseWithinDays = int(form.get("lastPurchase"));
  if (form.get("categories")) definition.categoriesBought = { any: list(form.get("categories")), withinDays: int(form.get("categoriesDays")) };
  return { name: form.get("name"), description: form.get("description") || undefined, definition };
}

function SegmentEditor({ onSaved }) {
  return (
    <ActionForm id="segment-editor" submit="Create segment" action={async (form, el) => {
      await call("POST", P("/segments"), { body: segmentBody(form) });
      el.reset();
      onSaved();
    }}>
      <h2>New segment</h2>
      <p class="muted">Members match when they meet every condition given. Blocked members are left out unless the definition says otherwise.</p>
      <div class="grid2">
        <Field label="Segment name" name="name" required />
        <Field label="Description" name="description" />
        <Field label="Tiers (comma separated)" name="tiers" />
        <Field label="Minimum points balance" name="minBalance" inputMode="numeric" />
        <Field label="Bought within (days)" name="lastPurchase" inputMode="numeric" />
        <Field label="Categories bought (comma separated)" name="categories" />
        <Field label="Categories bought within (days)" name="categoriesDays" inputMode="numeric" />
        <label>More conditions (JSON)
          <textarea name="more" rows={3} placeholder='{"attributes":{"city":"Kraków"},"birthdayMonth":"current"}' />
        </label>
      </div>
    </ActionForm>
  );
}

export function Segments() {
  const segments = useLoad(() => call("GET", P("/segments")));
  const [error, setError] = useState(null);
  return (
    <>
      <Status state={segments} what="Segments" />
      {segments.data && (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <thead><tr><th>Segment</th><th>Definition</th><th>Members</th><th>Export</th></tr></thead>
            <tbody>
              {segments.data.map((s) => (
                <tr key={s.id}><td>{s.name}</td><td><code>{JSON.stringify(s.definition)}</code></td><td><SegmentCount id={s.id} version={segments.data} /></td>
                  <td><button type="button" class="secondary" onClick={() => { setError(null); exportCsv(s).catch(setError); }}>Export {s.name} as CSV</button></td></tr>
              ))}
            </tbody>
          </table>
          {segments.data.length === 0 && <p class="muted">No segment yet.</p>}
        </div>
      )}
      <ErrorText error={error} />
      <SegmentEditor onSaved={segments.reload} />
    </>
  );
}

function Step({ index, onRemove }) {
  const n = index + 1;
  return (
    <fieldset class="card" data-testid="challenge-step">
      <legend>Step {n}</legend>
      <div class="grid2">
        <Field label={`Step ${n} name`} name={`step${index}.name`} required />
        <Field label={`Step ${n} event type`} name={`step${index}.eventType`} required defaultValue="purchase" />
        <Field label={`Step ${n} count`} name={`step${index}.count`} inputMode="numeric" defaultValue="1" />
        <Field label={`Step ${n} categories (comma separated)`} name={`step${index}.categories`} />
        <Field label={`Step ${n} minimum amount (minor units)`} name={`step${index}.minAmount`} inputMode="numeric" />
        <label><input type="checkbox" name={`step${index}.distinctDays`} /> Step {n}: each on a different day</label>
      </div>
      {onRemove && <button type="button" class="secondary" onClick={onRemove}>Remove step {n}</button>}
    </fieldset>
  );
}

function challengeBody(form, steps) {
  const iso = (name) => (form.get(name) ? new Date(String(form.get(name))).toISOString() : undefined);
  return {
    name: form.get("name"),
    description: form.get("description") || undefined,
    startsAt: iso("startsAt"),
    endsAt: iso("endsAt"),
    ordered: form.get("ordered") === "on",
    repeat: form.get("repeat"),
    maxCompletionsPerMember: int(form.get("maxCompletions")),
    reward: { points: String(form.get("points") || "0"), dropId: int(form.get("dropId")) },
    steps: steps.map((_, i) => {
      const conditions = {};
      if (form.get(`step${i}.categories`)) conditions.categories = list(form.get(`step${i}.categories`));
      if (form.get(`step${i}.minAmount`)) conditions.minAmount = Number(form.get(`step${i}.minAmount`));
      return {
        name: form.get(`step${i}.name`), eventType: form.get(`step${i}.eventType`), count: int(form.get(`step${i}.count`)),
        distinctDays: form.get(`step${i}.distinctDays`) === "on", conditions,
      };
    }),
  };
}

// datetime-local wants local wall time without a zone.
const localNow = () => { const d = new Date(); d.setSeconds(0, 0); return new Date(d - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16); };

function ChallengeEditor({ onSaved }) {
  // Keys, not indexes, identify steps so removing one keeps the others' typed values.
  const [steps, setSteps] = useState([1]);
  const [next, setNext] = useState(2);
  return (
    <ActionForm id="challenge-editor" submit="Create challenge" action={async (form, el) => {
      await call("POST", P("/challenges"), { body: challengeBody(form, steps) });
      el.reset();
      onSaved();
    }}>
      <h2>New challenge</h2>
      <div class="grid2">
        <Field label="Challenge name" name="name" required />
        <Field label="Description" name="description" />
        <Field label="Starts at" name="startsAt" type="datetime-local" required defaultValue={localNow()} />
        <Field label="Ends at (optional)" name="endsAt" type="datetime-local" />
        <label>Repeats
          <select name="repeat" defaultValue="none">
            <option value="none">never (once)</option>
            <option value="daily">daily</option>
            <option value="weekly">weekly (ISO week)</option>
            <option value="monthly">monthly</option>
          </select>
        </label>
        <Field label="Completions per member (empty: once, or once per period)" name="maxCompletions" inputMode="numeric" />
        <Field label="Reward points" name="points" inputMode="numeric" defaultValue="100" />
        <Field label="Reward drop id (optional)" name="dropId" inputMode="numeric" />
        <label><input type="checkbox" name="ordered" /> A journey: steps count only in order</label>
      </div>
      {steps.map((key, i) => <Step key={key} index={i} onRemove={steps.length > 1 ? () => setSteps(steps.filter((k) => k !== key)) : null} />)}
      <button type="button" class="secondary" disabled={steps.length >= 10} onClick={() => { setSteps([...steps, next]); setNext(next + 1); }}>Add step</button>
    </ActionForm>
  );
}

export function Challenges() {
  const challenges = useLoad(() => call("GET", P("/challenges")));
  const [error, setError] = useState(null);
  const items = challenges.data ? challenges.data.items || challenges.data : [];
  const deactivate = (c) => { setError(null); call("PATCH", P(`/challenges/${c.id}`), { body: { active: false } }).then(challenges.reload, setError); };
  return (
    <>
      <Status state={challenges} what="Challenges" />
      {challenges.data && (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <thead><tr><th>Challenge</th><th>Steps</th><th>Window</th><th>Kind</th><th>Reward</th><th>Status</th></tr></thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.id} data-testid="challenge-row">
                  <td>{c.name}</td>
                  <td>{(c.steps || []).map((s) => `${s.name} (${s.eventType} x${s.count ?? 1}${s.distinctDays ? ", distinct days" : ""})`).join(c.ordered ? " → " : " + ")}</td>
                  <td>{when(c.startsAt)} – {when(c.endsAt)}</td>
                  <td>{c.ordered ? "journey" : "any order"}, repeats {String(c.repeat).toLowerCase()}{c.maxCompletionsPerMember ? `, at most ${c.maxCompletionsPerMember}` : ""}</td>
                  <td>{c.reward?.points} points{c.reward?.dropId ? ` + drop ${c.reward.dropId}` : ""}</td>
                  <td>{c.active ? <button type="button" class="secondary" onClick={() => deactivate(c)}>Deactivate {c.name}</button> : "inactive"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {items.length === 0 && <p class="muted">No challenge yet.</p>}
        </div>
      )}
      <ErrorText error={error} />
      <ChallengeEditor onSaved={challenges.reload} />
    </>
  );
}
