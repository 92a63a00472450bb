using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Ownership;

/// <summary>Who changed who holds a program's on-chain roles: a hand-over to the brand, a minter rotation.</summary>
public sealed class KeyRoleAudit
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    /// <summary>"ownership.handover", "minter.rotate" or "minter.sweep" (the retired key's ETH sent to the new relayer).</summary>
    public string Action { get; set; } = "";
    /// <summary>"root" or "key:{id}" (<see cref="Access.ApiPrincipal.Actor"/>), or "service" for what the service does on its own.</summary>
    public string Actor { get; set; } = "";
    /// <summary>The brand's new admin, the new minter key, or the swept key.</summary>
    public string Address { get; set; } = "";
    public DateTime At { get; set; }

    public const string Handover = "ownership.handover";
    public const string Rotate = "minter.rotate";
    public const string Sweep = "minter.sweep";
    public const string ServiceActor = "service";
}

internal sealed class KeyRoleAuditConfiguration : IEntityTypeConfiguration<KeyRoleAudit>
{
    public void Configure(EntityTypeBuilder<KeyRoleAudit> b)
    {
        b.ToTable("KeyRoleAudits");
        b.Property(x => x.Action).HasMaxLength(32);
        b.Property(x => x.Actor).HasMaxLength(64);
        b.Property(x => x.Address).HasMaxLength(42);
        b.HasIndex(x => new { x.ProgramId, x.Id });
    }
}
