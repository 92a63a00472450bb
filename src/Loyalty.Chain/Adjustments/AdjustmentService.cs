using System.Text.RegularExpressions;
using Loyalty.Chain.Intake;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Redemption;
using Loyalty.Chain.Settlement;
using Loyalty.Chain.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Adjustments;

public sealed record AdjustmentRequest(string? Type, string? Points, string? Reason, string? Comment);

/// <summary>
/// Grants and deductions by an admin. A grant is available at once and queued for minting in the same transaction (it
/// is not a purchase: no return window, not "earned" for tiers). A deduction retires up to what is available
/// (<see cref="PointRetirement"/>): cancelled before minting where possible, otherwise burned with the custodial
/// signature; the rest is the reported shortfall. Both are one write transaction under the member's lock.
/// </summary>
public sealed partial class AdjustmentService(LoyaltyDbContext db, LedgerWriter ledger, PointRetirement retirement,
    TimeProvider time, IOptions<IntakeLimitsOptions> limits)
{
    [GeneratedRegex(@"\A[a-z][a-z0-9_]{0,31}\z")]
    private static partial Regex ReasonPattern();

    public Task<Adjustment> AdjustAsync(LoyaltyProgram program, Member member, AdjustmentRequest request, string actor, CancellationToken ct)
    {
        var type = request.Type?.Trim().ToLowerInvariant() switch
        {
            "grant" => AdjustmentType.Grant,
            "deduct" => AdjustmentType.Deduct,
            _ => throw new LoyaltyException("INVALID_ADJUSTMENT_TYPE", "type must be 'grant' or 'deduct'"),
        };
        if (!Amounts.TryParsePoints(request.Points, out var points) || points <= 0)
            throw new LoyaltyException("INVALID_POINTS", "points must be a positive whole number as a decimal string (smallest unit)");
        if (points > limits.Value.MaxPointsPerEvent)
            throw new LoyaltyException("POINTS_LIMIT_EXCEEDED", $"at most {limits.Value.MaxPointsPerEvent} points per adjustment", 422);
        var reason = request.Reason?.Trim().ToLowerInvariant();
        if (reason is null || !ReasonPattern().IsMatch(reason))
            throw new LoyaltyException("INVALID_REASON", "reason is a code of 1-32 lower-case letters, digits or '_', e.g. goodwill, correction, fraud");
        var comment = request.Comment?.Trim();
        if (comment is { Length: > 500 } || (comment is not null && comment.Any(char.IsControl)))
            throw new LoyaltyException("INVALID_COMMENT", "comment is at most 500 characters without control characters");
        if (program.Status != ProgramStatus.Active)
            throw new LoyaltyException("PROGRAM_NOT_ACTIVE", $"the program is {program.Status}", 409);

        return db.InWriteTransactionAsync(async c =>
        {
            // The row, not the request's cached copy: a pause committed a moment ago refuses this.
            await ProgramPause.EnsureNotPausedAsync(db, program.Id, c);
            await ledger.LockMemberAsync(member.Id, c);
            var now = time.GetUtcNow().UtcDateTime;
            var adjustment = new Adjustment
            {
                ProgramId = program.Id, MemberId = member.Id, Type = type, Points = points, Reason = reason,
                Comment = string.IsNullOrEmpty(comment) ? null : comment, Actor = actor, CreatedAt = now,
            };
            db.Set<Adjustment>().Add(adjustment);
            await db.SaveChangesAsync(c);
            var note = $"adjustment {adjustment.Id}: {reason}";
            if (type == AdjustmentType.Grant)
            {
                // A sunsetting program earns nothing more, by event or by hand; deductions (corrections) stay possible.
                await Sunset.SunsetService.EnsureEarningOpenAsync(db, program.Id, c);
                if (await ledger.HeldAsync(member.Id, c) + points > limits.Value.MaxPointsPerMember)
                    throw new LoyaltyException("POINTS_LIMIT_EXCEEDED", $"a member holds at most {limits.Value.MaxPointsPerMember} points", 422);
                var address = await db.Set<Member>().AsNoTracking().Where(m => m.Id == member.Id).Select(m => m.WalletAddress).SingleAsync(c);
                var intent = await ledger.GrantAvailableAsync(program.Id, member.Id, address, points, EntryKind.Grant, note, now, c);
                adjustment.Applied = points;
                adjustment.MintIntentId = intent.Id;
            }
            else
            {
                var result = await retirement.RetireAsync(program, member.Id, points, RedemptionKind.Deduction, $"adjustment:{adjustment.Id}", note, c);
                adjustment.Applied = result.Retired;
                adjustment.Shortfall = result.Shortfall;
                adjustment.CancelledBeforeMint = result.CancelledBeforeMint;
                adjustment.Burned = result.Burning;
                adjustment.BurnId = result.BurnId;
            }
            await db.SaveChangesAsync(c);
            return adjustment;
        }, ct);
    }
}
