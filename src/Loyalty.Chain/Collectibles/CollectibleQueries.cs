using System.Globalization;
using System.Numerics;
using System.Text.Json.Serialization;
using Loyalty.Chain.Indexer;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Collectibles;

/// <summary>ERC-721 metadata JSON (the schema's name, description and image, plus the common attributes list).</summary>
public sealed record TokenMetadata(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("image")] string Image,
    [property: JsonPropertyName("attributes")] IReadOnlyList<MetadataAttribute> Attributes);

public sealed record MetadataAttribute([property: JsonPropertyName("trait_type")] string TraitType, [property: JsonPropertyName("value")] object Value);

public sealed record CollectibleView(string TokenId, long DropId, string DropName, long Serial, bool Soulbound, string Owner, string MetadataUrl);

public sealed record PendingCollectibleView(long DropId, string DropName, string Status, string Source);

public sealed record MemberCollection(string MemberId, IReadOnlyList<string> Wallets, IReadOnlyList<CollectibleView> Tokens,
    IReadOnlyList<PendingCollectibleView> Pending);

/// <summary>
/// Public metadata and images, and members' collections. Ownership comes from the indexer's CollectibleOwner
/// rows, so it includes moves between self-custody wallets that the service never made.
/// </summary>
public sealed class CollectibleQueries(LoyaltyDbContext db, IOptions<CollectiblesOptions> options)
{
    private static readonly BigInteger SerialMask = (BigInteger.One << 64) - 1;

    /// <summary>Metadata of a token of the drop, or null when the token is not of this drop or not minted (yet).</summary>
    public async Task<TokenMetadata?> MetadataAsync(long programId, long dropId, string tokenIdText, CancellationToken ct)
    {
        if (tokenIdText.Length is 0 or > 78 || !tokenIdText.All(char.IsAsciiDigit)) return null;
        var tokenId = BigInteger.Parse(tokenIdText, CultureInfo.InvariantCulture);
        var drop = await db.Set<Drop>().AsNoTracking().SingleOrDefaultAsync(d => d.Id == dropId && d.ProgramId == programId, ct);
        if (drop?.OnChainDropId is not { } onChain || tokenId >> 64 != onChain) return null;
        if (!await IsMintedAsync(programId, drop, tokenId, ct)) return null;

        var hasImage = await db.Set<DropImage>().AnyAsync(i => i.DropId == dropId, ct);
        var attributes = drop.Attributes.Select(a => new MetadataAttribute(a.TraitType, a.Value))
            .Append(new MetadataAttribute("soulbound", drop.Soulbound)).ToList();
        return new TokenMetadata($"{drop.Name} #{tokenId & SerialMask}", drop.Description,
            hasImage ? options.Value.ImageUrlFor(programId, dropId) : drop.ImageUrl ?? "", attributes);
    }

    /// <summary>The uploaded image, or the external URL to redirect to, or neither.</summary>
    public async Task<(DropImage? Image, string? Redirect)> ImageAsync(long programId, long dropId, CancellationToken ct)
    {
        var drop = await db.Set<Drop>().AsNoTracking().SingleOrDefaultAsync(d => d.Id == dropId && d.ProgramId == programId, ct);
        if (drop is null) return (null, null);
        var image = await db.Set<DropImage>().AsNoTracking().SingleOrDefaultAsync(i => i.DropId == dropId, ct);
        return (image, image is null ? drop.ImageUrl : null);
    }

    /// <summary>Tokens held by the member's wallets (custodial and linked) as indexed, plus mints not yet done.</summary>
    public async Task<MemberCollection> CollectionAsync(LoyaltyProgram program, Member member, CancellationToken ct)
    {
        var wallets = new[] { member.WalletAddress, member.CustodialAddress }.Where(a => !string.IsNullOrEmpty(a))
            .Select(a => a!.ToLowerInvariant()).Distinct().ToList();
        var contract = program.CollectibleContract?.ToLowerInvariant();
        List<CollectibleOwner> owned = contract is null ? [] : await db.Set<CollectibleOwner>().AsNoTracking()
            .Where(o => o.Contract == contract && wallets.Contains(o.Owner)).ToListAsync(ct);
        var drops = await db.Set<Drop>().AsNoTracking().Where(d => d.ProgramId == program.Id && d.OnChainDropId != null)
            .ToDictionaryAsync(d => d.OnChainDropId!.Value, ct);
        var tokens = owned.OrderBy(o => o.TokenId).Select(o =>
        {
            var drop = drops.GetValueOrDefault((long)(o.TokenId >> 64));
            return new CollectibleView(o.TokenId.ToString(), drop?.Id ?? 0, drop?.Name ?? "", (long)(ulong)(o.TokenId & SerialMask), drop?.Soulbound ?? false,
                o.Owner, drop?.BaseUri is { } baseUri ? baseUri + o.TokenId : "");
        }).ToList();
        var pending = await (from m in db.Set<DropMint>()
                             join d in db.Set<Drop>() on m.DropId equals d.Id
                             where m.MemberId == member.Id && (m.Status == DropMintStatus.Queued || m.Status == DropMintStatus.Batched)
                             orderby m.Id
                             select new PendingCollectibleView(d.Id, d.Name, m.Status.ToString(), m.Source)).Take(200).ToListAsync(ct);
        return new MemberCollection(member.ExternalId, wallets, tokens, pending);
    }

    private async Task<bool> IsMintedAsync(long programId, Drop drop, BigInteger tokenId, CancellationToken ct)
    {
        if (await db.Set<DropMint>().AnyAsync(m => m.DropId == drop.Id && m.TokenId == tokenId && m.Status == DropMintStatus.Minted, ct)) return true;
        if (await db.Set<DropVoucher>().AnyAsync(v => v.DropId == drop.Id && v.TokenId == tokenId, ct)) return true;
        // Claims made by members themselves are known through the indexer.
        return await db.Set<CollectibleOwner>().AnyAsync(o => o.ProgramId == programId && o.TokenId == tokenId, ct);
    }
}
