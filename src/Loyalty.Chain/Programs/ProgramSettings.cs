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
public sealed record UpdateProgramRequest(string? Name = null, long? PendingPeriodSeconds = null, string? TimeZone = null);

public sealed class ProgramSettings(LoyaltyDbContext db)
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
        return await db.InWriteTransactionAsync(async c =>
        {
            var program = await db.Set<LoyaltyProgram>().SingleAsync(p => p.Id == programId, c);
            if (name is not null) program.Name = name;
            // Accruals keep the MaturesAt they were given: a new pending period applies to new earnings only.
            if (r.PendingPeriodSeconds is { } pending) program.PendingPeriodSeconds = pending;
            if (r.TimeZone is { } zone) program.TimeZone = zone;
            await db.SaveChangesAsync(c);
            return program;
        }, ct);
    }
}
