using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Leaderboards;

/// <summary>
/// A member's leaderboard opt-in and pseudonym. Its own table rather than a "leaderboard" consent in
/// <see cref="Members.MemberProfile.Consents"/>: consents are a JSON column that SQLite and PostgreSQL cannot filter in one
/// portable aggregate query, and the display name needs a case-insensitive unique index per program. Erasing a profile
/// leaves this row (a pseudonym is not personal data); opting out hides the member at once.
/// </summary>
public sealed class LeaderboardProfile
{
    public long MemberId { get; set; }
    public long ProgramId { get; set; }
    public bool OptedIn { get; set; }
    public string DisplayName { get; set; } = "";
    /// <summary>Lower-cased display name: unique per program.</summary>
    public string NormalizedName { get; set; } = "";
    /// <summary>True when the name was generated, not chosen by the member.</summary>
    public bool Generated { get; set; }
    public DateTime UpdatedAt { get; set; }
}

internal sealed class LeaderboardProfileConfiguration : IEntityTypeConfiguration<LeaderboardProfile>
{
    public void Configure(EntityTypeBuilder<LeaderboardProfile> b)
    {
        b.ToTable("LeaderboardProfiles");
        b.HasKey(x => x.MemberId);
        b.Property(x => x.DisplayName).HasMaxLength(LeaderboardNames.MaxLength);
        b.Property(x => x.NormalizedName).HasMaxLength(LeaderboardNames.MaxLength);
        b.HasIndex(x => new { x.ProgramId, x.NormalizedName }).IsUnique();
        b.HasIndex(x => new { x.ProgramId, x.OptedIn });
    }
}
