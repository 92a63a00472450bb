using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Ledger;

/// <summary>
/// Points that became available together (one earning, grant or refund), with the date they expire. The lots of a
/// member always add up to the member's available balance: <see cref="LedgerWriter"/> opens a lot on every credit
/// to Available and draws on lots, soonest expiry first, on every debit of it.
/// </summary>
public sealed class PointLot
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long MemberId { get; set; }
    public long Amount { get; set; }
    public long Remaining { get; set; }
    /// <summary>What opened it: the ledger kind of the crediting posting (Earn, Mature, Grant, Adjustment...).</summary>
    public string Source { get; set; } = "";
    public DateTime AvailableAt { get; set; }
    /// <summary>Null: never expires (no fixed expiry policy when it opened).</summary>
    public DateTime? ExpiresAt { get; set; }
    /// <summary>The mint intent that carries these points on chain: while it is still queued, expiring them cancels the mint.</summary>
    public long? MintIntentId { get; set; }
    /// <summary>The accrual it came from (an earning), so a return claws back its own points first.</summary>
    public long? AccrualId { get; set; }
}

/// <summary>What one debit of Available took from one lot. Undoing the debit (a cancelled redemption) gives it back to the same lot.</summary>
public sealed class LotDraw
{
    public long Id { get; set; }
    public long LotId { get; set; }
    public long MemberId { get; set; }
    public long Amount { get; set; }
    /// <summary>What drew it, e.g. "redemption:12": a later credit with the same reference restores it.</summary>
    public string Ref { get; set; } = "";
    public bool Restored { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class PointLotConfiguration : IEntityTypeConfiguration<PointLot>, IEntityTypeConfiguration<LotDraw>
{
    public void Configure(EntityTypeBuilder<PointLot> b)
    {
        b.ToTable("PointLots");
        b.Property(x => x.Source).HasMaxLength(16);
        b.HasIndex(x => new { x.MemberId, x.Remaining });
        b.HasIndex(x => new { x.ProgramId, x.ExpiresAt });
    }

    public void Configure(EntityTypeBuilder<LotDraw> b)
    {
        b.ToTable("LotDraws");
        b.Property(x => x.Ref).HasMaxLength(64);
        b.HasIndex(x => new { x.MemberId, x.Ref });
    }
}
