using Loyalty.Chain.Telemetry;
using System.Text.Json;
using System.Text.RegularExpressions;
using Loyalty.Chain.Earning;
using Loyalty.Chain.Idempotency;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Intake;

/// <summary>
/// Takes shop events in: validates them and answers replays here, on the request's own context, then hands
/// each accepted event to the <see cref="IntakeCommitQueue"/>, which writes the event, the accrual, the ledger
/// posting, the rule awards, the mint intent (when nothing is pending) and the idempotency record together
/// with other requests' events in one database transaction, and answers only once that has committed. The
/// same event twice (same Idempotency-Key, or same type and external id) is credited once; a reused key with
/// another body is refused.
/// </summary>
public sealed partial class EventIntakeService(IdempotencyStore store, IntakeCommitQueue queue, TimeProvider time,
    Microsoft.Extensions.Options.IOptions<IntakeLimitsOptions> limits)
{
    /// <summary>The idempotency scope of event intake: the batch writer looks its keys up under it.</summary>
    public const string IdempotencyScope = "events";
    public const string Purchase = "purchase";
    public const string Return = "return";
    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MaxEventAge = TimeSpan.FromDays(366);

    [GeneratedRegex(@"\A[a-z][a-z0-9_-]{0,63}\z")]
    private static partial Regex TypePattern();

    public async Task<IntakeResponse> AcceptAsync(LoyaltyProgram program, EventRequest request, IdempotencyRequest? idempotency,
        CancellationToken ct)
    {
        // A replay is answered from what is committed, without waiting for the writer; the writer checks
        // again inside its transaction for keys that commit in between.
        if (idempotency is not null && await store.FindAsync(idempotency, ct) is { } record) return Replay(record, idempotency.Hash);
        ParsedEvent parsed;
        try
        {
            parsed = Parse(program, request);
        }
        catch (LoyaltyException invalid)
        {
            Telemetry.LoyaltyMeters.EventsRefused.AddTagged(1, "code", invalid.Code);
            throw;
        }
        return await queue.SubmitAsync(program, parsed, idempotency, ct);
    }

    /// <summary>The stored first answer for a key, or IDEMPOTENCY_KEY_REUSED when this body is another one.</summary>
    internal static IntakeResponse Replay(IdempotencyRecord record, string hash)
    {
        IdempotencyStore.EnsureSameRequest(record, hash);
        return JsonSerializer.Deserialize<IntakeResponse>(record.ResponseBody, IntakeResponse.Json)! with { Replayed = true };
    }

    /// <summary>
    /// The event as the rules would see it, validated exactly like an accepted one, for a dry run that writes nothing.
    /// The eventId is optional here (nothing is stored under it). Returns the member's external id and the facts.
    /// </summary>
    public (string MemberId, EarningEvent Event) ParseForDryRun(LoyaltyProgram program, EventRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.EventId)) request.EventId = "dry-run";
        var parsed = Parse(program, request);
        return (parsed.MemberId, new EarningEvent
        {
            Type = parsed.Type, Amount = parsed.Amount, Currency = parsed.Currency, OccurredAt = parsed.OccurredAt, Lines = parsed.Lines,
        });
    }

    private ParsedEvent Parse(LoyaltyProgram program, EventRequest r)
    {
        var type = r.Type?.Trim().ToLowerInvariant();
        if (type is null || !TypePattern().IsMatch(type))
            throw new LoyaltyException("INVALID_EVENT_TYPE", "type must be 1-64 characters: lower-case letters, digits, '-' or '_'");
        // Rule triggers the service fires itself (a referral's reward): a shop event of that type would pay the bonus.
        if (type is Referrals.ReferralRewarder.ReferrerTrigger or Referrals.ReferralRewarder.RefereeTrigger)
            throw new LoyaltyException("RESERVED_EVENT_TYPE", $"'{type}' is a trigger the service fires itself (referral rewards); shops cannot send it");
        MemberService.ValidateExternalId(r.MemberId, "memberId");
        MemberService.ValidateExternalId(r.EventId, "eventId");
        var currency = r.Currency?.Trim().ToUpperInvariant() ?? program.Currency;
        if (!Currencies.IsKnown(currency)) throw new LoyaltyException("UNKNOWN_CURRENCY", $"unknown currency '{r.Currency}'");
        if (currency != program.Currency)
            throw new LoyaltyException("UNSUPPORTED_CURRENCY", $"this program earns in {program.Currency}; got {currency}");
        var amount = ParseMoney(r.Amount, currency, "amount");
        if (type == Purchase && amount is null) throw new LoyaltyException("INVALID_AMOUNT", "a purchase needs an amount");
        if (type == Return) MemberService.ValidateExternalId(r.OrderId, "orderId");
        var lines = new List<EventLine>();
        foreach (var line in r.Lines ?? [])
        {
            if (line is null) throw new LoyaltyException("INVALID_LINE", "lines must be objects, not null");
            if (line.Quantity is < 1 or > 100_000) throw new LoyaltyException("INVALID_LINE", "line quantity must be 1-100000");
            if (line.Category is { Length: > 64 } || line.Sku is { Length: > 128 }) throw new LoyaltyException("INVALID_LINE", "line sku/category too long");
            lines.Add(new EventLine(line.Sku, line.Category, ParseMoney(line.Amount, currency, "lines.amount") ?? 0, line.Quantity ?? 1));
        }
        if (lines.Count > 500) throw new LoyaltyException("INVALID_LINE", "at most 500 lines per event");
        CheckMagnitude(amount, lines, currency);
        var now = time.GetUtcNow().UtcDateTime;
        var occurredAt = r.OccurredAt?.ToUniversalTime() ?? now;
        if (occurredAt > now + MaxClockSkew) throw new LoyaltyException("INVALID_OCCURRED_AT", "occurredAt is in the future");
        // Awards count against the day the event happened; a bounded past keeps limits meaningful.
        if (occurredAt < now - MaxEventAge) throw new LoyaltyException("INVALID_OCCURRED_AT", "occurredAt is more than a year in the past");
        return new ParsedEvent(type, r.MemberId!, r.EventId!, amount, currency, occurredAt, lines, r.OrderId);
    }

    /// <summary>The amount, each line and their sum stay under the cap: every later sum of points then fits in int64.</summary>
    private void CheckMagnitude(long? amount, List<EventLine> lines, string currency)
    {
        var max = limits.Value.MaxEventAmount;
        var lineSum = lines.Aggregate(System.Numerics.BigInteger.Zero, (sum, l) => sum + l.Amount);
        if (amount > max || lines.Any(l => l.Amount > max) || lineSum > max)
            throw new LoyaltyException("AMOUNT_TOO_LARGE", $"an event's amount is at most {Currencies.Format(max, currency)} {currency}", 422);
    }

    private static long? ParseMoney(JsonElement? value, string currency, string field)
    {
        if (value is null || value.Value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return null;
        var text = value.Value.ValueKind switch
        {
            JsonValueKind.String => value.Value.GetString(),
            JsonValueKind.Number => value.Value.GetRawText(),
            _ => null,
        };
        if (text is not null && text.TrimStart().StartsWith('-'))
            throw new LoyaltyException("NEGATIVE_AMOUNT", $"{field} must not be negative");
        if (!Currencies.TryParseMinor(text, currency, out var minor))
            throw new LoyaltyException("INVALID_AMOUNT", $"{field} must be a plain decimal number with at most {Currencies.Exponent(currency)} decimals");
        return minor;
    }

}

/// <summary>An event that passed validation: amounts in minor units, type lower-case, time UTC.</summary>
internal sealed record ParsedEvent(string Type, string MemberId, string EventId, long? Amount, string Currency, DateTime OccurredAt,
    IReadOnlyList<EventLine> Lines, string? OrderId);
