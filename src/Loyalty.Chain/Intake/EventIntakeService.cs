using System.Text.Json;
using System.Text.RegularExpressions;
using Loyalty.Chain.Earning;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Settlement;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Intake;

/// <summary>
/// Takes shop events in: validates, evaluates the earning rules, and writes the event, the accrual, the
/// ledger posting, the rule awards, the mint intent (when nothing is pending) and the idempotency
/// record in ONE database transaction. The same event twice (same Idempotency-Key, or same type and
/// external id) is credited once; a reused key with another body is refused.
/// </summary>
public sealed partial class EventIntakeService(
    LoyaltyDbContext db, LedgerWriter ledger, RuleUsageQuery usage, MaturationService maturation, SqliteWriteGate gate, Collectibles.BadgeAwarder badges,
    TimeProvider time)
{
    public const string Purchase = "purchase";
    public const string Return = "return";
    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MaxEventAge = TimeSpan.FromDays(366);

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,63}$")]
    private static partial Regex TypePattern();

    public async Task<IntakeResponse> AcceptAsync(LoyaltyProgram program, EventRequest request, string? idempotencyKey,
        string requestHash, CancellationToken ct)
    {
        if (idempotencyKey is not null && (idempotencyKey.Length is 0 or > 255))
            throw new LoyaltyException("INVALID_IDEMPOTENCY_KEY", "Idempotency-Key must be 1-255 characters");
        if (idempotencyKey is not null && await ReplayAsync(program.Id, idempotencyKey, requestHash, ct) is { } replay) return replay;
        var parsed = Parse(program, request);

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await WriteAsync(program, parsed, idempotencyKey, requestHash, ct);
            }
            catch (DbUpdateException) when (attempt < 2)
            {
                // A concurrent request committed the same key or the same event first: answer as it did.
                db.ChangeTracker.Clear();
                if (idempotencyKey is not null && await ReplayAsync(program.Id, idempotencyKey, requestHash, ct) is { } again) return again;
                if (await ExistingAsync(program.Id, parsed, ct) is { } existing) return existing;
            }
        }
    }

    private async Task<IntakeResponse> WriteAsync(LoyaltyProgram program, ParsedEvent e, string? key, string hash, CancellationToken ct)
    {
        using var writer = await gate.EnterAsync(db, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await ExistingAsync(program.Id, e, ct) is { } existing)
        {
            await tx.RollbackAsync(ct);
            return existing;
        }
        var member = await db.Set<Member>().AsNoTracking().SingleOrDefaultAsync(m => m.ProgramId == program.Id && m.ExternalId == e.MemberId, ct)
                     ?? throw new LoyaltyException("UNKNOWN_MEMBER", $"no member '{e.MemberId}' in this program", 404);
        await ledger.LockMemberAsync(member.Id, ct);
        var now = time.GetUtcNow().UtcDateTime;
        var row = new LoyaltyEvent
        {
            ProgramId = program.Id, MemberId = member.Id, Type = e.Type, ExternalId = e.EventId, Amount = e.Amount,
            Currency = e.Currency, OccurredAt = e.OccurredAt, ReceivedAt = now,
        };
        db.Set<LoyaltyEvent>().Add(row);

        IntakeResponse response;
        if (e.Type == Return) response = await ReturnAsync(program, member, row, e, ct);
        else response = await EarnAsync(program, member, row, e, now, ct);
        // Badges (soulbound drops awarded by rules) are decided in the same transaction as the event.
        await badges.OnEventAcceptedAsync(program, member.Id, e.Type, ct);

        if (key is not null)
        {
            db.Set<IdempotencyRecord>().Add(new IdempotencyRecord
            {
                ProgramId = program.Id, Key = key, RequestHash = hash, StatusCode = 201,
                ResponseBody = JsonSerializer.Serialize(response, IntakeResponse.Json), CreatedAt = now,
            });
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return response;
    }

    private async Task<IntakeResponse> EarnAsync(LoyaltyProgram program, Member member, LoyaltyEvent row, ParsedEvent e, DateTime now,
        CancellationToken ct)
    {
        var rules = await db.Set<EarningRule>().AsNoTracking()
            .Where(r => r.ProgramId == program.Id && r.Trigger == e.Type && r.Active).ToListAsync(ct);
        var profile = await db.Set<MemberProfile>().AsNoTracking().SingleOrDefaultAsync(p => p.MemberId == member.Id, ct);
        var earning = new EarningEvent
        {
            Type = e.Type, Amount = e.Amount, Currency = e.Currency, OccurredAt = e.OccurredAt, Lines = e.Lines,
            MemberTier = member.Tier, MemberAttributes = profile?.Attributes ?? new Dictionary<string, string>(),
        };
        var snapshot = rules.Count == 0 ? RuleUsage.None : await usage.LoadAsync(program.Id, member.Id, rules, e.OccurredAt, program.Zone, ct);
        var evaluation = RuleEvaluator.Evaluate(earning, rules, snapshot, program.Zone);
        row.Points = evaluation.TotalPoints;
        row.Evaluation = JsonSerializer.Serialize(evaluation.Outcomes.Select(RuleView.From), IntakeResponse.Json);
        await db.SaveChangesAsync(ct);
        foreach (var award in evaluation.ToAwards(program.Id, member.Id, row.Id, e.OccurredAt)) db.Set<RuleAward>().Add(award);

        string status = "none";
        DateTime? availableAt = null;
        if (evaluation.TotalPoints > 0)
        {
            var pending = program.PendingPeriod > TimeSpan.Zero;
            var accrual = new Accrual
            {
                ProgramId = program.Id, MemberId = member.Id, EventId = row.Id, Points = evaluation.TotalPoints,
                MaturesAt = now + program.PendingPeriod, Status = pending ? AccrualStatus.Pending : AccrualStatus.Matured,
            };
            db.Set<Accrual>().Add(accrual);
            await db.SaveChangesAsync(ct);
            if (pending)
            {
                await ledger.PostAsync(program.Id, member.Id, EntryKind.Earn, LedgerAccount.Issuance, LedgerAccount.Pending,
                    evaluation.TotalPoints, new LedgerWriter.Refs(row.Id, accrual.Id), ct);
                status = "pending";
                availableAt = accrual.MaturesAt;
            }
            else
            {
                // No return window: available at once and queued for minting in this same transaction.
                var intent = maturation.Queue(program.Id, member.Id, member.WalletAddress, evaluation.TotalPoints, now);
                await db.SaveChangesAsync(ct);
                accrual.MintIntentId = intent.Id;
                await ledger.PostAsync(program.Id, member.Id, EntryKind.Earn, LedgerAccount.Issuance, LedgerAccount.Available,
                    evaluation.TotalPoints, new LedgerWriter.Refs(row.Id, accrual.Id, intent.Id), ct);
                status = "available";
                availableAt = now;
            }
        }
        return new IntakeResponse(row.Id, e.Type, e.EventId, e.MemberId, evaluation.TotalPoints.ToString(), status, availableAt,
            evaluation.Outcomes.Select(RuleView.From).ToList(), "0", "0");
    }

    private async Task<IntakeResponse> ReturnAsync(LoyaltyProgram program, Member member, LoyaltyEvent row, ParsedEvent e, CancellationToken ct)
    {
        var purchase = await db.Set<LoyaltyEvent>().SingleOrDefaultAsync(x => x.ProgramId == program.Id && x.Type == Purchase
                                                                              && x.ExternalId == e.OrderId, ct)
                       ?? throw new LoyaltyException("UNKNOWN_ORDER", $"no purchase '{e.OrderId}' in this program", 404);
        if (purchase.MemberId != member.Id) throw new LoyaltyException("ORDER_MEMBER_MISMATCH", "the order belongs to another member", 409);
        var open = (purchase.Amount ?? 0) - purchase.Refunded;
        var refund = e.Amount ?? open;
        if (refund <= 0 || refund > open)
            throw new LoyaltyException("INVALID_REFUND", $"refund must be between 0.01 and the {Currencies.Format(open, program.Currency)} not yet returned", 422);

        // Cumulative proportional clawback: partial returns add up exactly to a full return.
        var total = purchase.Amount ?? 0;
        long Owed(long refunded) => total == 0 ? purchase.Points : (long)(new System.Numerics.BigInteger(purchase.Points) * refunded / total);
        var target = Owed(purchase.Refunded + refund) - Owed(purchase.Refunded);
        purchase.Refunded += refund;
        row.RelatedEventId = purchase.Id;

        var accrual = await db.Set<Accrual>().SingleOrDefaultAsync(a => a.EventId == purchase.Id, ct);
        long clawed = 0;
        if (accrual is { Status: AccrualStatus.Pending } && target > 0)
        {
            clawed = Math.Min(target, accrual.Remaining);
            accrual.ClawedBack += clawed;
            if (accrual.Remaining == 0) accrual.Status = AccrualStatus.Reversed;
            await db.SaveChangesAsync(ct);
            if (clawed > 0)
            {
                await ledger.PostAsync(program.Id, member.Id, EntryKind.Clawback, LedgerAccount.Pending, LedgerAccount.Issuance, clawed,
                    new LedgerWriter.Refs(row.Id, accrual.Id, Note: $"return of order {e.OrderId}"), ct);
            }
        }
        row.Points = -clawed;
        await db.SaveChangesAsync(ct);
        return new IntakeResponse(row.Id, Return, e.EventId, e.MemberId, (-clawed).ToString(), clawed > 0 ? "clawed_back" : "none",
            null, [], clawed.ToString(), (target - clawed).ToString());
    }

    private async Task<IntakeResponse?> ReplayAsync(long programId, string key, string hash, CancellationToken ct)
    {
        var record = await db.Set<IdempotencyRecord>().AsNoTracking().SingleOrDefaultAsync(r => r.ProgramId == programId && r.Key == key, ct);
        if (record is null) return null;
        if (record.RequestHash != hash)
            throw new LoyaltyException("IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was used with a different request body", 422);
        return JsonSerializer.Deserialize<IntakeResponse>(record.ResponseBody, IntakeResponse.Json)! with { Replayed = true };
    }

    private async Task<IntakeResponse?> ExistingAsync(long programId, ParsedEvent e, CancellationToken ct)
    {
        var row = await db.Set<LoyaltyEvent>().AsNoTracking()
            .SingleOrDefaultAsync(x => x.ProgramId == programId && x.Type == e.Type && x.ExternalId == e.EventId, ct);
        if (row is null) return null;
        var rules = JsonSerializer.Deserialize<List<RuleView>>(row.Evaluation, IntakeResponse.Json) ?? [];
        var accrual = await db.Set<Accrual>().AsNoTracking().SingleOrDefaultAsync(a => a.EventId == row.Id, ct);
        var status = row.Type == Return ? (row.Points < 0 ? "clawed_back" : "none")
            : accrual is null ? "none" : accrual.Status == AccrualStatus.Pending ? "pending" : "available";
        return new IntakeResponse(row.Id, row.Type, row.ExternalId, e.MemberId, row.Points.ToString(), status, accrual?.MaturesAt,
            rules, row.Type == Return ? (-row.Points).ToString() : "0", "0") { Replayed = true };
    }

    private ParsedEvent Parse(LoyaltyProgram program, EventRequest r)
    {
        var type = r.Type?.Trim().ToLowerInvariant();
        if (type is null || !TypePattern().IsMatch(type))
            throw new LoyaltyException("INVALID_EVENT_TYPE", "type must be 1-64 characters: lower-case letters, digits, '-' or '_'");
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
            if (line.Quantity is < 1 or > 100_000) throw new LoyaltyException("INVALID_LINE", "line quantity must be 1-100000");
            if (line.Category is { Length: > 64 } || line.Sku is { Length: > 128 }) throw new LoyaltyException("INVALID_LINE", "line sku/category too long");
            lines.Add(new EventLine(line.Sku, line.Category, ParseMoney(line.Amount, currency, "lines.amount") ?? 0, line.Quantity ?? 1));
        }
        if (lines.Count > 500) throw new LoyaltyException("INVALID_LINE", "at most 500 lines per event");
        var now = time.GetUtcNow().UtcDateTime;
        var occurredAt = r.OccurredAt?.ToUniversalTime() ?? now;
        if (occurredAt > now + MaxClockSkew) throw new LoyaltyException("INVALID_OCCURRED_AT", "occurredAt is in the future");
        // Awards count against the day the event happened; a bounded past keeps limits meaningful.
        if (occurredAt < now - MaxEventAge) throw new LoyaltyException("INVALID_OCCURRED_AT", "occurredAt is more than a year in the past");
        return new ParsedEvent(type, r.MemberId!, r.EventId!, amount, currency, occurredAt, lines, r.OrderId);
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

    private sealed record ParsedEvent(string Type, string MemberId, string EventId, long? Amount, string Currency, DateTime OccurredAt,
        IReadOnlyList<EventLine> Lines, string? OrderId);
}
