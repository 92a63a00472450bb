using System.IO.Compression;
using System.Numerics;
using System.Text.Json;
using Loyalty.Chain.Collectibles;
using Loyalty.Chain.Indexer;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;
using SetDropBaseUri = Loyalty.Chain.Contracts.LoyaltyCollectible.ContractDefinition.SetDropBaseURIFunction;

namespace Loyalty.Chain.Sunset;

/// <summary>
/// Collectibles outliving the service: every drop's metadata and image exported as a static folder (zip) that any
/// web server can host, then each drop's on-chain base URI pointed at the new host (setDropBaseURI, which emits the
/// ERC-4906 BatchMetadataUpdate wallets and marketplaces refresh on).
/// </summary>
public sealed class DropRehosting(LoyaltyDbContext db, CollectibleQueries queries, ChainTxQueue queue, TimeProvider time, ILogger<DropRehosting> logger)
{
    public const string BaseUriPurpose = "drop.base_uri";
    public const int MaxBaseUriLength = 512;

    public sealed record ExportedDrop(long DropId, long OnChainDropId, string Name, string Folder, string? Image, IReadOnlyList<string> Tokens);

    /// <summary>
    /// The zip: <c>{dropId}/{tokenId}</c> (metadata JSON, no extension, as tokenURI = base URI + decimal id),
    /// <c>{dropId}/image.{png|jpg|svg}</c>, and <c>index.json</c> listing the drops. Images are referenced as
    /// <paramref name="hostUrl"/> + <c>{dropId}/image.ext</c> when given (where the folder will be hosted), else by relative name.
    /// </summary>
    public async Task<(byte[] Zip, IReadOnlyList<ExportedDrop> Drops)> ExportAsync(LoyaltyProgram program, string? hostUrl, CancellationToken ct)
    {
        if (hostUrl is not null) ValidateUrl(hostUrl, "hostUrl");
        var drops = await db.Set<Drop>().AsNoTracking().Where(d => d.ProgramId == program.Id && d.OnChainDropId != null).OrderBy(d => d.Id).ToListAsync(ct);
        var contract = program.CollectibleContract?.ToLowerInvariant() ?? "";
        using var buffer = new MemoryStream();
        var exported = new List<ExportedDrop>();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var drop in drops)
            {
                var onChain = drop.OnChainDropId!.Value;
                var minted = await db.Set<DropMint>().AsNoTracking().Where(m => m.DropId == drop.Id && m.TokenId != null).Select(m => m.TokenId!.Value).ToListAsync(ct);
                // The indexer's owners also know tokens minted by voucher claims the service relayed for others.
                var owned = await db.Set<CollectibleOwner>().AsNoTracking().Where(o => o.Contract == contract).Select(o => o.TokenId).ToListAsync(ct);
                var tokens = minted.Concat(owned.Where(t => t >> 64 == onChain)).Distinct().Order().ToList();

                var image = await db.Set<DropImage>().AsNoTracking().SingleOrDefaultAsync(i => i.DropId == drop.Id, ct);
                string? imageName = image is null ? null : "image." + Extension(image.ContentType);
                if (image is not null) Write(zip, $"{drop.Id}/{imageName}", image.Bytes);
                var imageRef = imageName is null ? drop.ImageUrl : hostUrl is null ? imageName : $"{hostUrl}{drop.Id}/{imageName}";

                var names = new List<string>();
                foreach (var tokenId in tokens)
                {
                    var text = tokenId.ToString();
                    if (await queries.MetadataAsync(program.Id, drop.Id, text, ct) is not { } metadata) continue;
                    Write(zip, $"{drop.Id}/{text}", JsonSerializer.SerializeToUtf8Bytes(metadata with { Image = imageRef ?? "" }));
                    names.Add(text);
                }
                exported.Add(new ExportedDrop(drop.Id, onChain, drop.Name, $"{drop.Id}/", imageName, names));
            }
            Write(zip, "index.json", JsonSerializer.SerializeToUtf8Bytes(new
            {
                format = "loyalty-chain/metadata-export/v1", programId = program.Id, collectibleContract = contract, exportedAt = time.GetUtcNow().UtcDateTime,
                howToUse = "host this folder anywhere, then set each drop's base URI to <host>/<dropId>/ (tokenURI = base URI + decimal token id)",
                drops = exported,
            }, SunsetSnapshot.Json));
        }
        logger.LogInformation("Exported metadata of {Drops} drops of program {ProgramId}", exported.Count, program.Id);
        return (buffer.ToArray(), exported);
    }

    /// <summary>
    /// Queues setDropBaseURI (sent by the program's relayer, which holds DROP_ADMIN_ROLE) and records the requested base URI as
    /// pending, with the transaction, in one database transaction. <see cref="Drop.BaseUri"/> changes only when the chain has it
    /// (<see cref="DropBaseUriOutcome"/>); one change at a time per drop (409 BASE_URI_CHANGE_PENDING).
    /// </summary>
    public async Task<(Drop Drop, long ChainTxId)> SetBaseUriAsync(LoyaltyProgram program, long dropId, string? baseUri, CancellationToken ct)
    {
        ValidateUrl(baseUri, "baseUri");
        return await db.InWriteTransactionAsync(async c =>
        {
            var drop = await db.Set<Drop>().AsNoTracking().SingleOrDefaultAsync(d => d.Id == dropId && d.ProgramId == program.Id, c)
                       ?? throw new LoyaltyException("UNKNOWN_DROP", "no such drop in this program", 404);
            if (drop.OnChainDropId is not { } onChain || program.CollectibleContract is null)
                throw new LoyaltyException("DROP_NOT_PUBLISHED", "the drop is not on chain yet", 409);
            if (drop.BaseUriTxId is { } pending)
                throw new LoyaltyException("BASE_URI_CHANGE_PENDING", $"the drop's base URI change (transaction #{pending}) has not finished yet", 409);
            var data = new SetDropBaseUri { DropId = onChain, BaseURI = baseUri! }.GetCallData().ToHex(true);
            var tx = queue.Add(new ChainTxRequest(program.Relayer, program.CollectibleContract, data, BaseUriPurpose, drop.Id.ToString()));
            await db.SaveChangesAsync(c);
            // Claimed by conditional update: of two concurrent changes (PostgreSQL), only one records its transaction.
            if (await db.Set<Drop>().Where(d => d.Id == drop.Id && d.BaseUriTxId == null)
                    .ExecuteUpdateAsync(u => u.SetProperty(d => d.PendingBaseUri, baseUri).SetProperty(d => d.BaseUriTxId, tx.Id), c) == 0)
                throw new LoyaltyException("BASE_URI_CHANGE_PENDING", "the drop's base URI change has not finished yet", 409);
            drop.PendingBaseUri = baseUri;
            drop.BaseUriTxId = tx.Id;
            return (drop, tx.Id);
        }, ct);
    }

    private static void ValidateUrl(string? url, string field)
    {
        if (url is null || url.Length > MaxBaseUriLength || !url.EndsWith('/') || url.Any(ch => char.IsControl(ch) || char.IsWhiteSpace(ch))
            || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != "ipfs")
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
            throw new LoyaltyException("INVALID_BASE_URI", $"{field} must be an absolute https://, http:// or ipfs:// URL ending with '/', without query, at most {MaxBaseUriLength} characters");
    }

    private static string Extension(string contentType) => contentType switch
    {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/svg+xml" => "svg",
        _ => "bin",
    };

    private static void Write(ZipArchive zip, string name, byte[] bytes)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Fastest);
        entry.LastWriteTime = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var stream = entry.Open();
        stream.Write(bytes);
    }
}

/// <summary>
/// A finished setDropBaseURI: on success the drop's base URI becomes the pending one; reverted, errored or cancelled, the pending
/// change is dropped and the old base URI stays (it is what the contract still has). Claimed by the transaction id, so it runs once.
/// </summary>
public sealed class DropBaseUriOutcome(LoyaltyDbContext db, ILogger<DropBaseUriOutcome> logger) : IChainTxOutcomeHandler
{
    public IReadOnlyCollection<string> Purposes { get; } = [DropRehosting.BaseUriPurpose];

    public async Task OnFinishedAsync(ChainTx tx, CancellationToken ct)
    {
        var pending = db.Set<Drop>().Where(d => d.BaseUriTxId == tx.Id);
        if (tx.Status == ChainTxStatus.Final && tx.Outcome == ChainTxOutcome.Succeeded)
        {
            if (await db.InWriteTransactionAsync(c => pending.ExecuteUpdateAsync(u => u.SetProperty(d => d.BaseUri, d => d.PendingBaseUri)
                    .SetProperty(d => d.PendingBaseUri, (string?)null).SetProperty(d => d.BaseUriTxId, (long?)null), c), ct) > 0)
                logger.LogInformation("Drop {Reference}: base URI changed on chain (transaction {TxId})", tx.Reference, tx.Id);
            return;
        }
        if (await db.InWriteTransactionAsync(c => pending.ExecuteUpdateAsync(u => u.SetProperty(d => d.PendingBaseUri, (string?)null)
                .SetProperty(d => d.BaseUriTxId, (long?)null), c), ct) > 0)
            logger.LogWarning("Drop {Reference}: base URI change failed ({Error}); the base URI stays as it was", tx.Reference,
                tx.ErrorCode ?? tx.Outcome?.ToString() ?? tx.Status.ToString());
    }
}
