using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Custody;

/// <summary>
/// An admin acting on a member's assets (linking a wallet, withdrawing): who, what, for whom, when. Members act
/// for themselves and need no trail; an admin acting for them must leave one the brand can review.
/// </summary>
public sealed class AssetMoveAudit
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long MemberId { get; set; }
    /// <summary>"wallet.link" or "withdrawal".</summary>
    public string Action { get; set; } = "";
    /// <summary>"root" for the deployment admin, "key:{id}" for a program admin key.</summary>
    public string Actor { get; set; } = "";
    /// <summary>The wallet address the assets go to (lower-case 0x hex).</summary>
    public string Address { get; set; } = "";
    public DateTime At { get; set; }

    public const string WalletLink = "wallet.link";
    public const string Withdrawal = "withdrawal";
}

internal sealed class AssetMoveAuditConfiguration : IEntityTypeConfiguration<AssetMoveAudit>
{
    public void Configure(EntityTypeBuilder<AssetMoveAudit> b)
    {
        b.ToTable("AssetMoveAudits");
        b.Property(x => x.Action).HasMaxLength(32);
        b.Property(x => x.Actor).HasMaxLength(64);
        b.Property(x => x.Address).HasMaxLength(42);
        b.HasIndex(x => new { x.ProgramId, x.Id });
    }
}
