// Rewards: the catalog with stock and issued counts, a new reward, and coupon pools (upload codes to a pooled reward).
import { call, P, useLoad, Status, ActionForm, Field } from "../lib.jsx";

export function Rewards() {
  const rewards = useLoad(() => call("GET", P("/rewards")));
  return (
    <>
      <Status state={rewards} what="Rewards" />
      {rewards.data && (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <thead><tr><th>Reward</th><th>Type</th><th>Cost</th><th>Stock</th><th>Issued</th><th>Coupons</th><th>Active</th></tr></thead>
            <tbody>
              {rewards.data.map((r) => (
                <tr key={r.id}><td>{r.name}</td><td>{r.type}</td><td>{r.cost}</td><td>{r.stock ?? "unlimited"}</td><td>{r.issued}</td><td>{r.coupons}</td><td>{r.active ? "yes" : "no"}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div class="grid2">
        <ActionForm submit="Create reward" action={async (form, el) => {
          await call("POST", P("/rewards"), {
            body: { type: form.get("type"), name: form.get("name"), cost: form.get("cost"), stock: form.get("stock") ? Number(form.get("stock")) : undefined, coupons: form.get("coupons") },
          });
          el.reset();
          rewards.reload();
        }}>
          <h2>New reward</h2>
          <label>Type<select name="type"><option>DiscountCoupon</option><option>FreeProduct</option></select></label>
          <Field label="Name" name="name" required />
          <Field label="Cost (points)" name="cost" inputMode="numeric" required />
          <Field label="Stock (empty: unlimited)" name="stock" inputMode="numeric" />
          <label>Coupon codes<select name="coupons"><option value="Generated">generated</option><option value="Pool">from a pool</option></select></label>
        </ActionForm>
        <ActionForm submit="Add codes" action={async (form, el) => {
          const codes = String(form.get("codes") || "").split(/[\s,]+/).filter(Boolean);
          await call("POST", P(`/rewards/${form.get("reward")}/coupons`), { body: { codes } });
          el.reset();
          rewards.reload();
        }}>
          <h2>Coupon pool</h2>
          <label>Reward
            <select name="reward" required>{(rewards.data || []).filter((r) => r.coupons === "Pool").map((r) => <option key={r.id} value={r.id}>{r.name}</option>)}</select>
          </label>
          <label>Codes (one per line)<textarea name="codes" rows="4" required /></label>
        </ActionForm>
      </div>
    </>
  );
}
