using System.Text.RegularExpressions;
using Loyalty.Chain.Collectibles;
using Loyalty.Chain.Earning;
using Loyalty.Chain.Intake;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Challenges;

public sealed record ChallengeStepRequest(string? Name, string? EventType, RuleConditions? Conditions, int? Count, bool? DistinctDays);
public sealed record ChallengeRewardRequest(string? Points, long? DropId);
public sealed record ChallengeRequest(string? Name, string? Description, bool? Active, DateTime? StartsAt, DateTime? EndsAt, bool? Ordered,
    ChallengeRepeat? Repeat, List<ChallengeStepRequest?>? Steps, ChallengeRewardRequest? Reward, int? MaxCompletionsPerMember);
public sealed record ChallengePatch(string? Name, string? Description, bool? Active, DateTime? EndsAt, List<ChallengeStepRequest?>? Steps);

public sealed record ChallengeRewardView(string Points, long? DropId);
public sealed record ChallengeView(long Id, string Name, string? Description, bool Active, DateTime StartsAt, DateTime? EndsAt, bool Ordered,
    ChallengeRepeat Repeat, IReadOnlyList<ChallengeStep> Steps, ChallengeRewardView Reward, int? MaxCompletionsPerMember, DateTime CreatedAt,
    DateTime UpdatedAt)
{
    public static ChallengeView From(Challenge c) => new(c.Id, c.Name, c.Description, c.Active, c.StartsAt, c.EndsAt, c.Ordered, c.Repeat, c.Steps,
        new ChallengeRewardView(c.RewardPoints.ToString(), c.RewardDropId), c.MaxCompletionsPerMember, c.CreatedAt, c.UpdatedAt);
}

/// <summary>Challenges of a program: definition, validation and edits (steps are frozen once any member has progress).</summary>
public sealed partial class ChallengeService(LoyaltyDbContext db, TimeProvider time, IOptions<IntakeLimitsOptions> limits)
{
    public const int MaxSteps = 10;
    public const int MaxCount = 1000;

    [GeneratedRegex(@"\A[a-z][a-z0-9_-]{0,63}\z")]
    private static partial Regex EventTypePattern();

    public async Task<Challenge> CreateAsync(long programId, ChallengeRequest r, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var challenge = new Challenge
        {
            ProgramId = programId, Name = Text(r.Name, 200, "name", required: true)!, Description = Text(r.Description, 1000, "description", false),
            Active = r.Active ?? true, StartsAt = r.StartsAt?.ToUniversalTime() ?? now, EndsAt = r.EndsAt?.ToUniversalTime(),
            Ordered = r.Ordered ?? false, Repeat = r.Repeat ?? ChallengeRepeat.None, CreatedAt = now, UpdatedAt = now,
        };
        if (!Enum.IsDefined(challenge.Repeat)) throw Invalid("repeat must be none, daily, weekly or monthly");
        if (challenge.EndsAt <= challenge.StartsAt) throw Invalid("endsAt must be after startsAt");
        challenge.Steps = Steps(r.Steps, challenge.Repeat);
        if (r.Reward is not { } reward) throw new LoyaltyException("INVALID_CHALLENGE_REWARD", "reward is required: points and/or dropId");
        long points = 0;
        if (reward.Points is not null && (!Amounts.TryParsePoints(reward.Points, out points) || points < 0))
            throw new LoyaltyException("INVALID_CHALLENGE_REWARD", "reward.points must be a whole number of points as a decimal string");
        if (points > limits.Value.MaxPointsPerEvent)
            throw new LoyaltyException("INVALID_CHALLENGE_REWARD", $"reward.points is at most {limits.Value.MaxPointsPerEvent}");
        if (points == 0 && reward.DropId is null)
            throw new LoyaltyException("INVALID_CHALLENGE_REWARD", "a reward needs points above 0, a dropId, or both");
        if (reward.DropId is { } dropId && !await db.Set<Drop>().AnyAsync(d => d.Id == dropId && d.ProgramId == programId, ct))
            throw new LoyaltyException("UNKNOWN_DROP", $"no drop {dropId} in this program", 422);
        (challenge.RewardPoints, challenge.RewardDropId) = (points, reward.DropId);
        if (r.MaxCompletionsPerMember is < 1 or > 1_000_000) throw Invalid("maxCompletionsPerMember must be 1..1000000");
        challenge.MaxCompletionsPerMember = r.MaxCompletionsPerMember;
        db.Set<Challenge>().Add(challenge);
        await db.SaveChangesAsync(ct);
        return challenge;
    }

    public async Task<Challenge> GetAsync(long programId, long challengeId, CancellationToken ct) =>
        await db.Set<Challenge>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == challengeId && c.ProgramId == programId, ct)
        ?? throw new LoyaltyException("UNKNOWN_CHALLENGE", $"no challenge {challengeId} in this program", 404);

    public Task<List<Challenge>> ListAsync(long programId, CancellationToken ct) =>
        db.Set<Challenge>().AsNoTracking().Where(c => c.ProgramId == programId).OrderBy(c => c.Id).ToListAsync(ct);

    public Task<Challenge> UpdateAsync(long programId, long challengeId, ChallengePatch r, CancellationToken ct) =>
        db.InWriteTransactionAsync(async c =>
        {
            var challenge = await db.Set<Challenge>().SingleOrDefaultAsync(x => x.Id == challengeId && x.ProgramId == programId, c)
                            ?? throw new LoyaltyException("UNKNOWN_CHALLENGE", $"no challenge {challengeId} in this program", 404);
            // Everything is validated before anything changes.
            var name = r.Name is null ? challenge.Name : Text(r.Name, 200, "name", required: true)!;
            var description = r.Description is null ? challenge.Description : Text(r.Description, 1000, "description", false);
            var endsAt = r.EndsAt?.ToUniversalTime() ?? challenge.EndsAt;
            if (endsAt <= challenge.StartsAt) throw Invalid("endsAt must be after startsAt");
            var steps = r.Steps is null ? null : Steps(r.Steps, challenge.Repeat);
            if (steps is not null && await db.Set<ChallengeProgress>().AnyAsync(p => p.ChallengeId == challengeId, c))
                throw new LoyaltyException("CHALLENGE_STEPS_LOCKED", "members have progress in this challenge: its steps can no longer change", 409);
            (challenge.Name, challenge.Description, challenge.EndsAt) = (name, description, endsAt);
            if (r.Active is { } active) challenge.Active = active;
            if (steps is not null) challenge.Steps = steps;
            challenge.UpdatedAt = time.GetUtcNow().UtcDateTime;
            await db.SaveChangesAsync(c);
            return challenge;
        }, ct);

    private static List<ChallengeStep> Steps(List<ChallengeStepRequest?>? steps, ChallengeRepeat repeat)
    {
        if (steps is not { Count: >= 1 and <= MaxSteps })
            throw new LoyaltyException("INVALID_CHALLENGE_STEP", $"a challenge has 1-{MaxSteps} steps");
        var result = new List<ChallengeStep>();
        foreach (var (s, i) in steps.Select((s, i) => (s, i)))
        {
            if (s is null) throw Step(i, "must be an object, not null");
            var type = s.EventType?.Trim().ToLowerInvariant();
            if (type is null || !EventTypePattern().IsMatch(type)) throw Step(i, "eventType is a lower-case event type such as purchase or review");
            if (type == EventIntakeService.Return) throw Step(i, "a return cannot be a step (it neither counts nor undoes progress)");
            var conditions = s.Conditions ?? new RuleConditions();
            if (conditions.Validate() is { Count: > 0 } errors) throw Step(i, "conditions: " + string.Join(" ", errors));
            // Progress sees the event and the member's tier and attributes, not segment or offer memberships: such a step
            // could never match.
            if (conditions.Segments is { Length: > 0 } || conditions.OfferId is not null)
                throw Step(i, "conditions.segments and conditions.offerId are for earning rules; a step cannot use them");
            var count = s.Count ?? 1;
            if (count is < 1 or > MaxCount) throw Step(i, $"count must be 1..{MaxCount}");
            var distinct = s.DistinctDays ?? false;
            if (distinct && repeat == ChallengeRepeat.Daily && count > 1) throw Step(i, "a daily challenge has one day: distinctDays needs count 1");
            if (distinct && count > 366) throw Step(i, "distinctDays needs count <= 366");
            var name = s.Name?.Trim();
            if (string.IsNullOrEmpty(name) || name.Length > 100 || name.Any(char.IsControl)) throw Step(i, "name is 1-100 characters");
            result.Add(new ChallengeStep { Name = name, EventType = type, Conditions = conditions, Count = count, DistinctDays = distinct });
        }
        return result;
    }

    private static string? Text(string? text, int max, string field, bool required)
    {
        var value = text?.Trim();
        if (string.IsNullOrEmpty(value))
            return required ? throw Invalid($"{field} is required") : null;
        if (value.Length > max || value.Any(c => char.IsControl(c) && c is not '\n')) throw Invalid($"{field} is 1-{max} characters without control characters");
        return value;
    }

    private static LoyaltyException Invalid(string why) => new("INVALID_CHALLENGE", why);
    private static LoyaltyException Step(int i, string why) => new("INVALID_CHALLENGE_STEP", $"steps[{i}]: {why}");
}
