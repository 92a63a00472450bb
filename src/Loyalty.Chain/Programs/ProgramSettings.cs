using System.Reflection;
using System.Text.Json;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Programs;

/// <summary>
/// PATCH /programs/{id}: every property is optional (absent = unchanged). To add a setting (expiry, returns,
/// tiers), add a nullable property here and apply it in <see cref="ProgramSettings.ApplyAsync"/>: the allowed
/// field names are this record's properties, so anything else is refused with UNKNOWN_FIELD.
/// </summary>
public sealed record UpdateProgramRequest(string? Name = null, long? PendingPeriodSeconds = null, string? TimeZone = null,
    ExpiryPolicyRequest? Expiry = null, string? Returns = null, Tiers.TierPolicyRequest? Tiers = null);

public sealed class ProgramSettings(LoyaltyDbContext db, Tiers.TierService tiers)
{
    public const long MaxPendingPeriodSeconds = 365L * 24 * 3600;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,
    };

    private static readonly HashSet<string> Fields = typeof(UpdateProgramRequest).GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)).ToHashSet(StringComparer.Ordinal);

    /// <summary>Unknown fields and explicit nulls are refused: a PATCH names only what it changes.</summary>
    public static UpdateProgramRequest Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new LoyaltyException("MALFORMED_JSON", "the body must be a JSON object");
        foreach (var p in body.EnumerateObject())
        {
            if (!Fields.Contains(p.Name))
                throw new LoyaltyException("UNKNOWN_FIELD", $"'{p.Name}' is not a program setting ({string.Join(", ", Fields.Order())})");
            if (p.Value.ValueKind == JsonValueKind.Null) throw new LoyaltyException("INVALID_SETTING", $"{p.Name} cannot be null");
        }
        try { return body.Deserialize<UpdateProgramRequest>(Json) ?? new UpdateProgramRequest(); }
        catch (JsonException e) { throw new LoyaltyException("INVALID_SETTING", "a setting has the wrong type: " + (e.Path ?? "")); }
    }

    public async Task<LoyaltyProgram> ApplyAsync(long programId, UpdateProgramRequest r, CancellationToken ct)
    {
        var name = r.Name?.Trim();
        if (r.Name is not null && (name!.Length is 0 or > 200 || name.Contains('\0')))
            throw new LoyaltyException("INVALID_NAME", "name is 1-200 characters");
        if (r.PendingPeriodSeconds is < 0 or > MaxPendingPeriodSeconds)
            throw new LoyaltyException("INVALID_PENDING_PERIOD", "pendingPeriodSeconds must be between 0 and 365 days (31536000)");
        if (r.TimeZone is { } tz && (tz.Length > 64 || !TimeZoneInfo.TryFindSystemTimeZoneById(tz, out _)))
            throw new LoyaltyException("INVALID_TIME_ZONE", $"unknown time zone '{tz}'");
        // Policies are validated on a scratch program first: a refused PATCH changes nothing.
        if (r.Expiry is { } expiry) ProgramPolicies.ApplyExpiry(new LoyaltyProgram(), expiry);
        if (r.Returns is { } returns) ProgramPolicies.ApplyReturns(new LoyaltyProgram(), returns);
        if (r.Tiers is { } tierPolicy) Tiers.TierPolicyValidator.Validate(programId, tierPolicy);
        return await db.InWriteTransactionAsync(async c =>
        {
            var program = await db.Set<LoyaltyProgram>().SingleAsync(p => p.Id == programId, c);
            if (name is not null) program.Name = name;
            // Accruals keep the MaturesAt they were given: a new pending period applies to new earnings only.
            if (r.PendingPeriodSeconds is { } pending) program.PendingPeriodSeconds = pending;
            if (r.TimeZone is { } zone) program.TimeZone = zone;
            if (r.Expiry is { } e) ProgramPolicies.ApplyExpiry(program, e);
            if (r.Returns is { } rp) ProgramPolicies.ApplyReturns(program, rp);
            await db.SaveChangesAsync(c);
            // The tier policy in the same transaction: its re-evaluation of every member commits with the rest or not at all.
            if (r.Tiers is { } t) await tiers.SetPolicyAsync(programId, t, c);
            return program;
        }, ct);
    }
}
