// Rules and campaigns: the list, an editor (new rule or edit one), and "try an event": POST /rules/dry-run runs the
// rule engine on the event for a real member and shows each rule's verdict with the engine's reason. It writes nothing.
import { useState } from "preact/hooks";
import { call, P, useLoad, Status, ActionForm, Field, ErrorText } from "../lib.jsx";

function ruleBody(form) {
  const kind = form.get("kind");
  const effect = { kind, points: Number(form.get("points") || 0) };
  if (kind === "PerCurrencyUnit") effect.perMinorUnits = Number(form.get("perMinorUnits") || 100);
  if (kind === "Multiplier") { effect.multiplierNumerator = Number(form.get("points") || 2); effect.multiplierDenominator = 1; }
  const conditions = {};
  if (form.get("minAmount")) conditions.minAmount = Number(form.get("minAmount"));
  if (form.get("tiers")) conditions.tiers = String(form.get("tiers")).split(",").map((t) => t.trim()).filter(Boolean);
  const limits = {};
  if (form.get("perDay")) limits.perMemberPerDay = Number(form.get("perDay"));
  return { name: form.get("name"), trigger: form.get("trigger"), effect, conditions, limits, priority: Number(form.get("priority") || 100), active: form.get("active") === "on" };
}

function Editor({ rule, onSaved }) {
  const e = rule?.effect || {};
  return (
    <ActionForm id="rule-editor" submit={rule ? "Save rule" : "Create rule"} action={async (form, el) => {
      const body = ruleBody(form);
      if (rule) await call("PUT", P(`/rules/${rule.id}`), { body });
      else await call("POST", P("/rules"), { body });
      if (!rule) el.reset();
      onSaved();
    }}>
      <h2>{rule ? `Edit rule #${rule.id}` : "New rule"}</h2>
      <div class="grid2">
        <Field label="Name" name="name" required defaultValue={rule?.name} />
        <Field label="Trigger (event type)" name="trigger" required defaultValue={rule?.trigger || "purchase"} />
        <label>Effect
          <select name="kind" defaultValue={e.kind || "PerCurrencyUnit"}>
            <option value="PerCurrencyUnit">points per currency unit</option>
            <option value="Fixed">fixed points</option>
            <option value="Multiplier">multiplier</option>
          </select>
        </label>
        <Field label="Points (or multiplier factor)" name="points" inputMode="numeric" required defaultValue={e.kind === "Multiplier" ? e.multiplierNumerator : e.points ?? 1} />
        <Field label="Per minor units (100 = per euro)" name="perMinorUnits" inputMode="numeric" defaultValue={e.perMinorUnits ?? 100} />
        <Field label="Minimum amount (minor units)" name="minAmount" inputMode="numeric" defaultValue={rule?.conditions?.minAmount ?? ""} />
        <Field label="Tiers (comma separated)" name="tiers" defaultValue={(rule?.conditions?.tiers || []).join(", ")} />
        <Field label="Daily limit per member" name="perDay" inputMode="numeric" defaultValue={rule?.limits?.perMemberPerDay ?? ""} />
        <Field label="Priority" name="priority" inputMode="numeric" defaultValue={rule?.priority ?? 100} />
        <label><input type="checkbox" name="active" defaultChecked={rule ? rule.active : true} /> Active</label>
      </div>
    </ActionForm>
  );
}

// Intake applies the effective tier's multiplier after the rules: the dry run says which level, how much and why.
function tierLine(result) {
  const m = result.tierMultiplier;
  if (!m) return "Tier multiplier: none (the program has no tier policy).";
  return `Tier multiplier: ${m.percent}%${m.points !== "0" ? `, +${m.points}` : ""}. ${m.reason}`;
}

function TryEvent({ editing }) {
  const [result, setResult] = useState(null);
  return (
    <>
      <ActionForm submit="Try it" action={async (form) => {
        const event = { type: form.get("type"), memberId: form.get("memberId"), amount: form.get("amount") || undefined };
        const body = { event };
        const editor = document.getElementById("rule-editor");
        if (form.get("useDraft") === "on" && editor) {
          body.draft = ruleBody(new FormData(editor));
          if (editing.rule) body.draftRuleId = editing.rule.id;
        }
        setResult(await call("POST", P("/rules/dry-run"), { body }));
      }}>
        <h2>Try an event</h2>
        <p class="muted">Runs the rules on this event for the member, as intake would. Nothing is written.</p>
        <div class="grid2">
          <Field label="Member id" name="memberId" required />
          <Field label="Event type" name="type" required defaultValue="purchase" />
          <Field label="Amount" name="amount" inputMode="decimal" />
          <label><input type="checkbox" name="useDraft" /> Include the rule in the editor (unsaved)</label>
        </div>
      </ActionForm>
      {result && (
        <section class="card" aria-labelledby="dry-h" aria-live="polite">
          <h3 id="dry-h">Result: {result.totalPoints} points</h3>
          <p class="muted">Member {result.memberId}, tier {result.tier || "none"}, base {result.basePoints} points. Nothing was written.</p>
          {result.rules.length === 0 && <p>No rule has the trigger {result.type}.</p>}
          <ul class="dry-run">
            {result.rules.map((r) => (
              <li key={r.ruleId} class={r.fired ? "fired" : "notfired"}>
                <strong>{r.name}</strong>{r.draft ? " (draft)" : ""}: {r.fired ? `fires, +${r.points}` : "does not fire"}
                <div class="muted">{r.code}: {r.reason}</div>
              </li>
            ))}
          </ul>
          <p class="muted" data-testid="tier-multiplier">{tierLine(result)}</p>
        </section>
      )}
    </>
  );
}

export function Rules() {
  const rules = useLoad(() => call("GET", P("/rules")));
  const [editing, setEditing] = useState(null);
  const [error, setError] = useState(null);
  return (
    <>
      <Status state={rules} what="Rules" />
      {rules.data && (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <thead><tr><th>Name</th><th>Trigger</th><th>Effect</th><th>Priority</th><th>Active</th><th>Actions</th></tr></thead>
            <tbody>
              {rules.data.map((r) => (
                <tr key={r.id}>
                  <td>{r.name}{r.isCampaign ? " (campaign)" : ""}</td><td>{r.trigger}</td>
                  <td>{r.effect.kind} {r.effect.kind === "Multiplier" ? `${r.effect.multiplierNumerator}/${r.effect.multiplierDenominator}` : r.effect.points}</td>
                  <td>{r.priority}</td><td>{r.active ? "yes" : "no"}</td>
                  <td class="row">
                    <button type="button" class="secondary" onClick={() => setEditing(r)}>Edit {r.name}</button>
                    {r.active && <button type="button" class="secondary" onClick={() => call("DELETE", P(`/rules/${r.id}`)).then(rules.reload, setError)}>Deactivate {r.name}</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ErrorText error={error} />
      {editing && <button type="button" class="secondary" onClick={() => setEditing(null)}>New rule instead</button>}
      <Editor key={editing?.id || "new"} rule={editing} onSaved={() => { setEditing(null); rules.reload(); }} />
      <TryEvent editing={{ rule: editing }} />
    </>
  );
}
