using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Transactions;

/// <summary>
/// The durable nonce cursor and health of one sending address on one chain. The cursor is advanced
/// by a single conditional UPDATE inside the transaction that assigns the nonce, so two service
/// instances sharing the database can neither reuse a nonce nor leave a gap.
/// </summary>
public sealed class SenderState
{
    public long ChainId { get; set; }
    public string Address { get; set; } = "";
    public long NextNonce { get; set; }
    /// <summary>Set when the node refused a transaction for lack of funds; cleared once funded.</summary>
    public bool Paused { get; set; }
    public string? PausedReason { get; set; }
    public DateTime? PausedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>An operational problem an operator must see (e.g. the relayer is out of gas money).</summary>
public sealed class Alert
{
    public long Id { get; set; }
    public string Code { get; set; } = "";
    public string Subject { get; set; } = "";
    public string Message { get; set; } = "";
    public DateTime RaisedAt { get; set; }
    public DateTime? ResolvedAt { get; set; }
}

internal sealed class SenderStateConfiguration : IEntityTypeConfiguration<SenderState>, IEntityTypeConfiguration<Alert>
{
    public void Configure(EntityTypeBuilder<SenderState> b)
    {
        b.ToTable("SenderStates");
        b.HasKey(x => new { x.ChainId, x.Address });
        b.Property(x => x.Address).HasMaxLength(42);
    }

    public void Configure(EntityTypeBuilder<Alert> b)
    {
        b.ToTable("Alerts");
        b.HasIndex(x => new { x.Code, x.Subject, x.ResolvedAt });
    }
}
