using Loyalty.Chain.Earning;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Challenges;

/// <summary>How a challenge starts over: periods are local to the program's zone; weekly is the ISO week (Monday first).</summary>
public enum ChallengeRepeat { None, Daily, Weekly, Monthly }

/// <summary>One step: events of <see cref="EventType"/> meeting the rule <see cref="Conditions"/>, <see cref="Count"/> times.</summary>
public sealed record ChallengeStep
{
    public string Name { get; init; } = "";
    public string EventType { get; init; } = "";
    public RuleConditions Conditions { get; init; } = new();
    public int Count { get; init; } = 1;
    /// <summary>Each counted event must fall on a local day not counted before for this step.</summary>
    public bool DistinctDays { get; init; }
}

/// <summary>
/// A set of steps over events, inside a window of event time. Completing every step awards points and/or a mint of a
/// drop (a collectible "stamp" or a soulbound badge). Steps are immutable once any member has progress.
/// </summary>
public sealed class Challenge
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public bool Active { get; set; } = true;
    public DateTime StartsAt { get; set; }
    public DateTime? EndsAt { get; set; }
    /// <summary>A journey: an event counts for step k only once every step before k is complete.</summary>
    public bool Ordered { get; set; }
    public ChallengeRepeat Repeat { get; set; }
    public List<ChallengeStep> Steps { get; set; } = [];
    public long RewardPoints { get; set; }
    public long? RewardDropId { get; set; }
    /// <summary>Null: once for a non-repeating challenge, once per period for a repeating one.</summary>
    public int? MaxCompletionsPerMember { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    public bool Contains(DateTime occurredAt) => StartsAt <= occurredAt && (EndsAt is not { } end || occurredAt < end);
}

/// <summary>One member's progress in one period (and attempt <see cref="Sequence"/>) of a challenge.</summary>
public sealed class ChallengeProgress
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long ChallengeId { get; set; }
    public long MemberId { get; set; }
    /// <summary>"all" for a non-repeating challenge, else the local day, ISO week ("2026-W49") or month.</summary>
    public string Period { get; set; } = "";
    /// <summary>The attempt within the period: completions so far in it.</summary>
    public int Sequence { get; set; }
    /// <summary>JSON of <see cref="ProgressState"/>.</summary>
    public string State { get; set; } = "";
    /// <summary>No further completion is possible in this period.</summary>
    public bool Completed { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public sealed class ChallengeCompletion
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long ChallengeId { get; set; }
    public long MemberId { get; set; }
    public string Period { get; set; } = "";
    public int Sequence { get; set; }
    /// <summary>The event that completed the last step.</summary>
    public long EventId { get; set; }
    /// <summary>That event's time.</summary>
    public DateTime CompletedAt { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>Refused: never paid, with the reason in <see cref="ChallengeAward.Error"/> (PROGRAM_SUNSETTING: earning stopped).</summary>
public enum ChallengeAwardStatus { Pending, Awarded, Refused }

/// <summary>The outbox row of a completion's reward, written with the completion and carried out by <see cref="ChallengeAwarder"/>.</summary>
public sealed class ChallengeAward
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long ChallengeId { get; set; }
    public long MemberId { get; set; }
    public long CompletionId { get; set; }
    public long Points { get; set; }
    public long? DropId { get; set; }
    public ChallengeAwardStatus Status { get; set; }
    public long? MintIntentId { get; set; }
    public long? DropMintId { get; set; }
    /// <summary>Why the drop was not granted (DROP_SOLD_OUT, DROP_CLOSED...), or why the award waits.</summary>
    public string? Error { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? AwardedAt { get; set; }
}

internal sealed class ChallengeConfiguration : IEntityTypeConfiguration<Challenge>
{
    public void Configure(EntityTypeBuilder<Challenge> b)
    {
        b.ToTable("Challenges");
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.Description).HasMaxLength(1000);
        b.Property(x => x.Repeat).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.Steps).HasConversion(v => RuleJson.Serialize(v), s => RuleJson.Deserialize<List<ChallengeStep>>(s),
            new ValueComparer<List<ChallengeStep>>((a, c) => RuleJson.Serialize(a) == RuleJson.Serialize(c),
                v => RuleJson.Serialize(v).GetHashCode(), v => RuleJson.Deserialize<List<ChallengeStep>>(RuleJson.Serialize(v)))).IsRequired();
        b.HasIndex(x => new { x.ProgramId, x.Active });
    }
}

internal sealed class ChallengeProgressConfiguration : IEntityTypeConfiguration<ChallengeProgress>
{
    public void Configure(EntityTypeBuilder<ChallengeProgress> b)
    {
        b.ToTable("ChallengeProgress");
        b.Property(x => x.Period).HasMaxLength(16);
        b.HasIndex(x => new { x.ChallengeId, x.MemberId, x.Period }).IsUnique();
        b.HasIndex(x => new { x.MemberId, x.ChallengeId });
    }
}

internal sealed class ChallengeCompletionConfiguration : IEntityTypeConfiguration<ChallengeCompletion>
{
    public void Configure(EntityTypeBuilder<ChallengeCompletion> b)
    {
        b.ToTable("ChallengeCompletions");
        b.Property(x => x.Period).HasMaxLength(16);
        b.HasIndex(x => new { x.ChallengeId, x.MemberId, x.Period, x.Sequence }).IsUnique();
        b.HasIndex(x => new { x.MemberId, x.ChallengeId });
    }
}

internal sealed class ChallengeAwardConfiguration : IEntityTypeConfiguration<ChallengeAward>
{
    public void Configure(EntityTypeBuilder<ChallengeAward> b)
    {
        b.ToTable("ChallengeAwards");
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.Error).HasMaxLength(64);
        b.HasIndex(x => x.CompletionId).IsUnique();
        b.HasIndex(x => new { x.Status, x.ProgramId });
        b.HasIndex(x => new { x.MemberId, x.ChallengeId });
    }
}
