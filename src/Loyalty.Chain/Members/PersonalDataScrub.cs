using System.Text.Json;
using System.Text.Json.Nodes;

namespace Loyalty.Chain.Members;

/// <summary>
/// Takes one member's identifiers out of a stored JSON answer (an idempotent response, a webhook payload). The external
/// id is replaced only under keys that name a member (memberId, referee, referredBy…), because a short numeric customer
/// id such as "42" also appears as an amount; the e-mail and the phone are distinctive and go wherever they appear, and
/// profile fields go from an answer that is about the member. Pure, so a unit test covers the cases.
/// </summary>
public static class PersonalDataScrub
{
    private static readonly string[] MemberKeys = ["member", "referee", "referr", "externalid", "customer"];
    private static readonly HashSet<string> ProfileKeys = new(StringComparer.OrdinalIgnoreCase) { "email", "phone", "birthday", "attributes", "consents" };

    /// <summary>The strings to look for in stored text (raw and as System.Text.Json writes them), for a SQL pre-filter.</summary>
    public static IEnumerable<string> Needles(string externalId, string? email, string? phone)
    {
        foreach (var value in new[] { externalId, email, phone })
        {
            if (string.IsNullOrEmpty(value)) continue;
            yield return value;
            var escaped = JsonSerializer.Serialize(value)[1..^1];
            if (escaped != value) yield return escaped;
        }
    }

    /// <summary>The scrubbed JSON, or null when the text names none of the identifiers (or is not JSON).</summary>
    public static string? Scrub(string json, string externalId, string? email, string? phone)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(json); }
        catch (JsonException) { return null; }
        if (root is null) return null;
        var state = new State(externalId, email, phone);
        switch (Walk(root, null, state))
        {
            case Outcome.None: return null;
            case Outcome.Replace: return "null";
        }
        if (root is JsonObject o) o["memberErased"] = true;
        return root.ToJsonString();
    }

    private sealed record State(string ExternalId, string? Email, string? Phone);

    private static bool IsMemberKey(string? key) =>
        key is not null && MemberKeys.Any(k => key.Contains(k, StringComparison.OrdinalIgnoreCase));

    private static bool Names(string value, State s, string? key) =>
        (IsMemberKey(key) && value == s.ExternalId)
        || (!string.IsNullOrEmpty(s.Email) && value.Contains(s.Email, StringComparison.OrdinalIgnoreCase))
        || (!string.IsNullOrEmpty(s.Phone) && value.Contains(s.Phone, StringComparison.Ordinal))
        // Free text that quotes the id, e.g. a SIWE statement "… loyalty account (ann@example.com)."
        || (s.ExternalId.Length >= 6 && value.Contains(s.ExternalId, StringComparison.Ordinal));

    private enum Outcome { None, Changed, Replace }

    private static Outcome Walk(JsonNode? node, string? key, State s)
    {
        switch (node)
        {
            case JsonValue v when v.TryGetValue<string>(out var text):
                return Names(text, s, key) ? Outcome.Replace : Outcome.None;
            case JsonObject o:
            {
                var any = false;
                foreach (var name in o.Select(p => p.Key).ToList())
                {
                    var outcome = Walk(o[name], name, s);
                    if (outcome == Outcome.Replace) o[name] = null;
                    any |= outcome != Outcome.None;
                }
                // An answer about the member (its own id or e-mail was in it) loses the profile fields too.
                if (any) foreach (var name in o.Select(p => p.Key).Where(ProfileKeys.Contains).ToList())
                    if (o[name] is not null) o[name] = null;
                return any ? Outcome.Changed : Outcome.None;
            }
            case JsonArray a:
            {
                var any = false;
                for (var i = 0; i < a.Count; i++)
                {
                    var outcome = Walk(a[i], key, s);
                    if (outcome == Outcome.Replace) a[i] = null;
                    any |= outcome != Outcome.None;
                }
                return any ? Outcome.Changed : Outcome.None;
            }
            default:
                return Outcome.None;
        }
    }
}
