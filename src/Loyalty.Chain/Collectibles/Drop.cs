using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Collectibles;

public enum DropStatus
{
    /// <summary>Editable; mints may already be queued and wait for publication.</summary>
    Draft,
    /// <summary>createDrop is in the pipeline; <see cref="Drop.OnChainDropId"/> comes from its DropCreated event.</summary>
    Publishing,
    /// <summary>On chain: queued mints are cut into mintBatch transactions.</summary>
    Published,
    /// <summary>Max supply reached on chain; mints still queued are reported as not minted (SOLD_OUT).</summary>
    SoldOut,
    /// <summary>The mint window has ended; mints still queued are reported as not minted (WINDOW_CLOSED).</summary>
    Closed,
}

public enum DropAudienceKind
{
    /// <summary>The brand names the members (airdrop body).</summary>
    Explicit,
    /// <summary>Every member matching the criteria when the airdrop runs.</summary>
    Rule,
    /// <summary>No airdrop: members who match the criteria claim (custodial: queued mint; self-custody: voucher).</summary>
    OpenClaim,
}

/// <summary>
/// Who a drop is for. Every criterion is optional and all that are set must hold: tier (one of), profile
/// attributes (equal, ignoring case) and points earned (net of clawbacks) in [PointsFrom, PointsTo).
/// </summary>
public sealed record DropAudience
{
    public DropAudienceKind Kind { get; init; } = DropAudienceKind.Explicit;
    public string[]? Tiers { get; init; }
    public Dictionary<string, string>? Attributes { get; init; }
    public long? MinPointsEarned { get; init; }
    public DateTime? PointsFrom { get; init; }
    public DateTime? PointsTo { get; init; }
    /// <summary>Members of this segment (issue 13), evaluated when the audience is resolved.</summary>
    public long? SegmentId { get; init; }

    public bool HasCriteria => Tiers is { Length: > 0 } || Attributes is { Count: > 0 } || MinPointsEarned is not null || SegmentId is not null;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(Kind)) errors.Add("audience.kind is unknown.");
        if (Tiers?.Any(string.IsNullOrWhiteSpace) == true) errors.Add("audience.tiers must not contain blanks.");
        if (Attributes?.Keys.Any(string.IsNullOrWhiteSpace) == true) errors.Add("audience attribute names must not be blank.");
        if (Attributes?.Values.Any(v => v is null) == true) errors.Add("audience attribute values must not be null.");
        if (MinPointsEarned < 0) errors.Add("audience.minPointsEarned must be >= 0.");
        if (SegmentId <= 0) errors.Add("audience.segmentId must be a segment id.");
        if (PointsFrom is { } f && PointsTo is { } t && t <= f) errors.Add("audience.pointsTo must be after pointsFrom.");
        if (Kind == DropAudienceKind.Rule && !HasCriteria) errors.Add("a Rule audience needs at least one criterion.");
        return errors;
    }
}

/// <summary>One ERC-721 metadata attribute ({"trait_type": ..., "value": ...}).</summary>
public sealed record DropAttribute(string TraitType, string Value);

/// <summary>
/// A collectible drop (or badge, when soulbound) of one program: one on-chain drop of the program's
/// LoyaltyCollectible, whose tokens are <c>OnChainDropId &lt;&lt; 64 | serial</c>.
/// </summary>
public sealed class Drop
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    /// <summary>The contract's drop id, read from the DropCreated event once createDrop is final.</summary>
    public long? OnChainDropId { get; set; }
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    /// <summary>An external image; an uploaded <see cref="DropImage"/> takes precedence.</summary>
    public string? ImageUrl { get; set; }
    public List<DropAttribute> Attributes { get; set; } = [];
    public long MaxSupply { get; set; }
    public bool Soulbound { get; set; }
    /// <summary>UTC mint window [StartsAt, EndsAt); null is open on that side. Enforced on chain too.</summary>
    public DateTime? StartsAt { get; set; }
    public DateTime? EndsAt { get; set; }
    /// <summary>When false (the default) a member gets at most one token of the drop.</summary>
    public bool AllowMultiplePerMember { get; set; }
    public DropAudience Audience { get; set; } = new();
    public DropStatus Status { get; set; }
    public string? StatusDetail { get; set; }
    public long? CreateTxId { get; set; }
    /// <summary>tokenURI = BaseUri + decimal token id; ends with '/'. Set at publication; a re-hosting changes it only once its setDropBaseURI succeeded.</summary>
    public string? BaseUri { get; set; }
    /// <summary>A requested base URI whose setDropBaseURI (<see cref="BaseUriTxId"/>) has not finished; cleared when it does (applied on success).</summary>
    public string? PendingBaseUri { get; set; }
    public long? BaseUriTxId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? PublishedAt { get; set; }
}

/// <summary>An uploaded drop image (png, jpeg or svg, under 256 KiB), served by the public image route.</summary>
public sealed class DropImage
{
    public long DropId { get; set; }
    public string ContentType { get; set; } = "";
    public byte[] Bytes { get; set; } = [];
    public string Sha256 { get; set; } = "";
    public DateTime UpdatedAt { get; set; }
}

/// <summary>JSON shapes of drop columns (camelCase, enums as text), shared with the API.</summary>
public static class CollectibleJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string json) where T : new() => JsonSerializer.Deserialize<T>(json, Options) ?? new T();

    internal static void Column<T>(PropertyBuilder<T> property) where T : new()
    {
        // Records holding arrays and dictionaries do not compare by value: change tracking compares the JSON.
        property.HasConversion(v => Serialize(v), s => Deserialize<T>(s),
            new ValueComparer<T>((a, b) => Serialize(a) == Serialize(b), v => Serialize(v).GetHashCode(), v => Deserialize<T>(Serialize(v))));
        property.IsRequired();
    }
}

internal sealed class DropConfiguration : IEntityTypeConfiguration<Drop>, IEntityTypeConfiguration<DropImage>
{
    public void Configure(EntityTypeBuilder<Drop> b)
    {
        b.ToTable("Drops");
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.Description).HasMaxLength(4000);
        b.Property(x => x.ImageUrl).HasMaxLength(2000);
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        CollectibleJson.Column(b.Property(x => x.Attributes));
        CollectibleJson.Column(b.Property(x => x.Audience));
        b.HasIndex(x => new { x.ProgramId, x.Status });
        b.HasIndex(x => new { x.ProgramId, x.OnChainDropId });
    }

    public void Configure(EntityTypeBuilder<DropImage> b)
    {
        b.ToTable("DropImages");
        b.HasKey(x => x.DropId);
        b.Property(x => x.ContentType).HasMaxLength(32);
        b.HasOne<Drop>().WithOne().HasForeignKey<DropImage>(x => x.DropId);
    }
}
