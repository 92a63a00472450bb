using System.Security.Cryptography;
using Loyalty.Chain.Contracts.LoyaltyCollectible.ContractDefinition;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;

namespace Loyalty.Chain.Collectibles;

public sealed record CreateDropRequest(string? Name, string? Description, string? ImageUrl, List<DropAttribute>? Attributes,
    long? MaxSupply, bool? Soulbound, DateTime? StartsAt, DateTime? EndsAt, bool? AllowMultiplePerMember, DropAudience? Audience);

/// <summary>
/// Creates and publishes drops. Publishing commits the drop's new status and its createDrop transaction
/// together (outbox); <see cref="DropProcessor"/> reads the on-chain drop id from the DropCreated event once
/// that transaction is final.
/// </summary>
public sealed class DropService(LoyaltyDbContext db, ChainTxQueue queue, IOptions<CollectiblesOptions> options, TimeProvider time)
{
    public const string CreatePurpose = "drop.create";
    public const int MaxImageBytes = 256 * 1024;

    public async Task<Drop> CreateAsync(long programId, CreateDropRequest r, CancellationToken ct)
    {
        var drop = new Drop
        {
            ProgramId = programId,
            Name = r.Name?.Trim() ?? "",
            Description = r.Description?.Trim() ?? "",
            ImageUrl = string.IsNullOrWhiteSpace(r.ImageUrl) ? null : r.ImageUrl.Trim(),
            Attributes = r.Attributes ?? [],
            MaxSupply = r.MaxSupply ?? 0,
            Soulbound = r.Soulbound ?? false,
            StartsAt = r.StartsAt?.ToUniversalTime(),
            EndsAt = r.EndsAt?.ToUniversalTime(),
            AllowMultiplePerMember = r.AllowMultiplePerMember ?? false,
            Audience = r.Audience ?? new DropAudience(),
            Status = DropStatus.Draft,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        Validate(drop);
        // A segment audience (issue 13) must name a segment of this program.
        if (drop.Audience.SegmentId is { } segmentId && !await db.Set<Segments.Segment>().AnyAsync(x => x.Id == segmentId && x.ProgramId == programId, ct))
            throw new LoyaltyException("UNKNOWN_SEGMENT", $"no segment {segmentId} in this program", 422);
        db.Set<Drop>().Add(drop);
        await db.SaveChangesAsync(ct);
        return drop;
    }

    public async Task<Drop> GetAsync(long programId, long dropId, CancellationToken ct) =>
        await db.Set<Drop>().AsNoTracking().SingleOrDefaultAsync(d => d.Id == dropId && d.ProgramId == programId, ct)
        ?? throw new LoyaltyException("UNKNOWN_DROP", $"no drop {dropId} in this program", 404);

    /// <summary>Stores the drop's image; the content is sniffed, not trusted from the declared type.</summary>
    public async Task SetImageAsync(long programId, long dropId, byte[] bytes, CancellationToken ct)
    {
        await GetAsync(programId, dropId, ct);
        if (bytes.Length > MaxImageBytes)
            throw new LoyaltyException("IMAGE_TOO_LARGE", $"images are at most {MaxImageBytes / 1024} KiB", 413);
        var type = SniffImage(bytes) ?? throw new LoyaltyException("INVALID_IMAGE", "the image must be a PNG, JPEG or SVG file", 415);
        var image = await db.Set<DropImage>().SingleOrDefaultAsync(i => i.DropId == dropId, ct);
        if (image is null) db.Set<DropImage>().Add(image = new DropImage { DropId = dropId });
        image.ContentType = type;
        image.Bytes = bytes;
        image.Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        image.UpdatedAt = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Queues createDrop; idempotent (a drop already publishing or published is returned as it is).</summary>
    public async Task<Drop> PublishAsync(LoyaltyProgram program, long dropId, CancellationToken ct)
    {
        var drop = await GetAsync(program.Id, dropId, ct);
        if (drop.Status != DropStatus.Draft) return drop;
        if (program.Status != ProgramStatus.Active || program.CollectibleContract is null)
            throw new LoyaltyException("PROGRAM_NOT_ACTIVE", "the program's contracts are not deployed yet", 409);
        var now = time.GetUtcNow().UtcDateTime;
        if (drop.EndsAt <= now) throw new LoyaltyException("DROP_WINDOW_ENDED", "the drop's mint window has already ended", 409);

        var baseUri = options.Value.BaseUriFor(program.Id, drop.Id);
        await db.InWriteTransactionAsync(async ct =>
        {
            // Claims the Draft -> Publishing move first, so two concurrent publishes queue one createDrop.
            var claimed = await db.Set<Drop>().Where(d => d.Id == drop.Id && d.Status == DropStatus.Draft)
                .ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, DropStatus.Publishing).SetProperty(d => d.BaseUri, baseUri)
                    .SetProperty(d => d.StatusDetail, (string?)null), ct);
            if (claimed == 0) return;
            var data = new CreateDropFunction
            {
                MaxSupply = (ulong)drop.MaxSupply, BaseURI = baseUri, Soulbound = drop.Soulbound,
                Start = Unix(drop.StartsAt), End = Unix(drop.EndsAt),
            }.GetCallData().ToHex(true);
            var chainTx = queue.Add(new ChainTxRequest(program.Relayer, program.CollectibleContract, data, CreatePurpose, drop.Id.ToString()));
            await db.SaveChangesAsync(ct);
            await db.Set<Drop>().Where(d => d.Id == drop.Id).ExecuteUpdateAsync(u => u.SetProperty(d => d.CreateTxId, chainTx.Id), ct);
        }, ct);
        return await GetAsync(program.Id, dropId, ct);
    }

    public async Task<DropDetails> DetailsAsync(long programId, long dropId, CancellationToken ct)
    {
        var drop = await GetAsync(programId, dropId, ct);
        var counts = await db.Set<DropMint>().Where(m => m.DropId == dropId).GroupBy(m => m.Status)
            .Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        int Count(DropMintStatus s) => counts.SingleOrDefault(c => c.Key == s)?.Count ?? 0;
        var notMinted = await (from m in db.Set<DropMint>()
                               join member in db.Set<Member>() on m.MemberId equals member.Id
                               where m.DropId == dropId && m.Status == DropMintStatus.Failed
                               orderby m.Id
                               select new NotMintedView(member.ExternalId, m.FailureCode ?? "FAILED")).Take(100).ToListAsync(ct);
        var vouchers = await db.Set<DropVoucher>().Where(v => v.DropId == dropId).GroupBy(v => v.Status)
            .Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        var batches = await (from b in db.Set<DropMintBatch>()
                             join t in db.Set<ChainTx>() on b.ChainTxId equals t.Id
                             where b.DropId == dropId
                             orderby b.Id
                             select new DropTxView(t.Id, t.Purpose, t.Status.ToString(), t.Outcome == null ? null : t.Outcome.ToString(), b.Recipients, b.Status.ToString(),
                                 t.MinedHash, t.BlockNumber, t.GasUsed, t.ErrorCode)).ToListAsync(ct);
        var reference = dropId.ToString();
        var create = await db.Set<ChainTx>().Where(t => t.Id == drop.CreateTxId)
            .Select(t => new DropTxView(t.Id, t.Purpose, t.Status.ToString(), t.Outcome == null ? null : t.Outcome.ToString(), null, null, t.MinedHash, t.BlockNumber,
                t.GasUsed, t.ErrorCode)).ToListAsync(ct);
        var hasImage = await db.Set<DropImage>().AnyAsync(i => i.DropId == dropId, ct);
        return new DropDetails(View(drop, hasImage), drop.Status.ToString(), drop.MaxSupply, Count(DropMintStatus.Queued) + Count(DropMintStatus.Batched) + Count(DropMintStatus.Minted)
                + Count(DropMintStatus.Failed), Count(DropMintStatus.Queued), Count(DropMintStatus.Batched), Count(DropMintStatus.Minted),
            Count(DropMintStatus.Failed), notMinted, vouchers.Sum(v => v.Count), vouchers.SingleOrDefault(v => v.Key == VoucherStatus.Claimed)?.Count ?? 0,
            [.. create, .. batches]);
    }

    public async Task<List<DropView>> ListAsync(long programId, CancellationToken ct)
    {
        var drops = await db.Set<Drop>().AsNoTracking().Where(d => d.ProgramId == programId).OrderByDescending(d => d.Id).Take(500).ToListAsync(ct);
        var ids = drops.Select(d => d.Id).ToList();
        var images = await db.Set<DropImage>().Where(i => ids.Contains(i.DropId)).Select(i => i.DropId).ToListAsync(ct);
        return drops.Select(d => View(d, images.Contains(d.Id))).ToList();
    }

    public DropView View(Drop d, bool hasImage) => new(d.Id, d.Name, d.Description,
        hasImage ? options.Value.ImageUrlFor(d.ProgramId, d.Id) : d.ImageUrl, d.Attributes, d.MaxSupply, d.Soulbound, d.StartsAt, d.EndsAt,
        d.AllowMultiplePerMember, d.Audience, d.Status.ToString(), d.StatusDetail, d.OnChainDropId, d.BaseUri, d.PendingBaseUri, d.CreateTxId, d.CreatedAt, d.PublishedAt);

    internal static ulong Unix(DateTime? at) => at is { } t ? (ulong)new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToUnixTimeSeconds() : 0;

    private static void Validate(Drop d)
    {
        var errors = new List<string>();
        if (d.Name.Length is 0 or > 200) errors.Add("name is required (at most 200 characters).");
        if (d.Description.Length > 4000) errors.Add("description is at most 4000 characters.");
        if (d.ImageUrl is { } url && (url.Length > 2000 || !Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("https" or "http" or "ipfs")))
            errors.Add("imageUrl must be an absolute http(s) or ipfs URL.");
        if (d.Attributes.Count > 50 || d.Attributes.Any(a => a is null || string.IsNullOrWhiteSpace(a.TraitType) || a.TraitType.Length > 64
                                                             || a.Value is null || a.Value.Length > 256))
            errors.Add("attributes: at most 50, each with a traitType (<= 64) and a value (<= 256).");
        if (d.MaxSupply is < 1 or > 1_000_000_000) errors.Add("maxSupply must be between 1 and 1000000000.");
        if (d.StartsAt is { } s && d.EndsAt is { } e && e <= s) errors.Add("endsAt must be after startsAt.");
        if (d.EndsAt is { } end && end > new DateTime(2999, 1, 1)) errors.Add("endsAt is too far away.");
        errors.AddRange(d.Audience.Validate());
        if (errors.Count > 0) throw new LoyaltyException("INVALID_DROP", string.Join(" ", errors));
    }

    private static string? SniffImage(byte[] b)
    {
        if (b.Length >= 8 && b.AsSpan(0, 8).SequenceEqual((byte[])[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])) return "image/png";
        if (b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return "image/jpeg";
        var head = System.Text.Encoding.UTF8.GetString(b, 0, Math.Min(b.Length, 1024)).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        var isXml = head.StartsWith("<svg", StringComparison.OrdinalIgnoreCase)
                    || (head.StartsWith("<?xml", StringComparison.OrdinalIgnoreCase) && head.Contains("<svg", StringComparison.OrdinalIgnoreCase));
        return isXml ? "image/svg+xml" : null;
    }
}

public sealed record DropView(long Id, string Name, string Description, string? Image, IReadOnlyList<DropAttribute> Attributes, long MaxSupply,
    bool Soulbound, DateTime? StartsAt, DateTime? EndsAt, bool AllowMultiplePerMember, DropAudience Audience, string Status, string? StatusDetail,
    long? OnChainDropId, string? BaseUri, string? PendingBaseUri, long? CreateTxId, DateTime CreatedAt, DateTime? PublishedAt);

public sealed record NotMintedView(string MemberId, string Code);

public sealed record DropTxView(long ChainTxId, string Purpose, string Status, string? Outcome, int? Recipients, string? BatchStatus,
    string? Hash, long? BlockNumber, long? GasUsed, string? ErrorCode);

/// <summary>A drop and its mint progress: planned = queued + batched (in flight) + minted + failed (not minted).</summary>
public sealed record DropDetails(DropView Drop, string Status, long MaxSupply, int Planned, int Queued, int Batched, int Minted, int Failed, IReadOnlyList<NotMintedView> NotMinted,
    int VouchersIssued, int VouchersClaimed, IReadOnlyList<DropTxView> Transactions);
