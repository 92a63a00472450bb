using Loyalty.Chain.Chain;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition;
using Loyalty.Chain.Custody;
using Loyalty.Chain.Indexer;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;

namespace Loyalty.Chain.Redemption;

/// <summary>A move of a member's points or collectible from their custodial wallet to their linked wallet.</summary>
public sealed class Withdrawal
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long MemberId { get; set; }
    /// <summary>"points" or "collectible".</summary>
    public string Asset { get; set; } = "";
    public long Amount { get; set; }
    public string? TokenId { get; set; }
    public string From { get; set; } = "";
    public string To { get; set; } = "";
    public long ChainTxId { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class WithdrawalConfiguration : IEntityTypeConfiguration<Withdrawal>
{
    public void Configure(EntityTypeBuilder<Withdrawal> b)
    {
        b.ToTable("Withdrawals");
        b.HasIndex(x => new { x.ProgramId, x.MemberId });
    }
}

/// <summary>
/// Takes a member's tokens home: everything in their custodial wallet moves to the wallet they linked, by
/// transferWithSignature signed with the custodial key and relayed (and paid) by the operator. The ledger does
/// not change — the points stay the member's; from then on the chain (indexer) is the source for that wallet.
/// Soulbound badges stay where they are: they cannot move by design.
/// </summary>
public sealed class WithdrawalService(LoyaltyDbContext db, CustodyService custody, ChainTxQueue queue, Web3Factory web3, TimeProvider time)
{
    public async Task<IReadOnlyList<Withdrawal>> WithdrawAllAsync(LoyaltyProgram program, Member member, CancellationToken ct)
    {
        if (member.WalletKind != WalletKind.SelfCustody)
            throw new LoyaltyException("NO_LINKED_WALLET", "link a self-custody wallet first (wallet/challenge, wallet/link)", 409);
        if (member.CustodialIndex is not { } index || member.CustodialAddress is not { } custodial)
            throw new LoyaltyException("NO_CUSTODIAL_WALLET", "this member never had a custodial wallet", 409);
        if (await db.Set<Redemption>().AnyAsync(r => r.MemberId == member.Id && r.Owner == custodial
                && (r.Status == RedemptionStatus.Reserved || r.Status == RedemptionStatus.Burning), ct))
            throw new LoyaltyException("BURN_IN_PROGRESS", "a redemption from the custodial wallet is still burning; retry shortly", 409);

        var chain = web3.Get();
        var now = time.GetUtcNow();
        var deadline = now.AddDays(1).ToUnixTimeSeconds();
        var staged = new List<(string Asset, long Amount, string? TokenId, string Data, string Contract)>();
        var points = new LoyaltyPointsService(chain, program.PointsContract!);
        var balance = await points.BalanceOfQueryAsync(custodial);
        if (balance > 0)
        {
            var nonce = await points.NoncesQueryAsync(custodial);
            var message = new PointsTransferMessage { Owner = custodial, To = member.WalletAddress, Value = balance, Nonce = nonce, Deadline = deadline };
            var signature = await custody.WithMemberKeyAsync(program.Id, index,
                key => LoyaltyTypedData.Sign(message, program.PointName, web3.Options.ChainId, program.PointsContract!, key), ct);
            var data = new TransferWithSignatureFunction
            {
                Owner = custodial, To = member.WalletAddress, Value = balance, Nonce = nonce, Deadline = deadline, Signature = signature,
            }.GetCallData().ToHex(true);
            staged.Add(("points", (long)balance, null, data, program.PointsContract!));
        }

        var tokens = await db.Set<CollectibleOwner>().AsNoTracking()
            .Where(o => o.Contract == program.CollectibleContract && o.Owner == custodial).ToListAsync(ct);
        var collectible = new Contracts.LoyaltyCollectible.LoyaltyCollectibleService(chain, program.CollectibleContract!);
        var collectibleNonce = tokens.Count > 0 ? await collectible.NoncesQueryAsync(custodial) : 0;
        var collectibleName = tokens.Count > 0 ? await collectible.NameQueryAsync() : "";
        foreach (var token in tokens)
        {
            if (await collectible.LockedQueryAsync(token.TokenId)) continue;
            var message = new CollectibleTransferMessage { From = custodial, To = member.WalletAddress, TokenId = token.TokenId, Nonce = collectibleNonce, Deadline = deadline };
            var signature = await custody.WithMemberKeyAsync(program.Id, index,
                key => LoyaltyTypedData.Sign(message, collectibleName, web3.Options.ChainId, program.CollectibleContract!, key), ct);
            var data = new Contracts.LoyaltyCollectible.ContractDefinition.TransferWithSignatureFunction
            {
                From = custodial, To = member.WalletAddress, TokenId = token.TokenId, Nonce = collectibleNonce, Deadline = deadline, Signature = signature,
            }.GetCallData().ToHex(true);
            staged.Add(("collectible", 1, token.TokenId.ToString(), data, program.CollectibleContract!));
            collectibleNonce++;
        }
        if (staged.Count == 0) throw new LoyaltyException("NOTHING_TO_WITHDRAW", "the custodial wallet holds nothing that can move", 409);
        // All transfers and their records commit together (outbox).
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var withdrawals = new List<Withdrawal>();
        foreach (var s in staged)
            withdrawals.Add(await StageAsync(program, member, s.Asset, s.Amount, s.TokenId, custodial, s.Data, s.Contract, now.UtcDateTime, ct));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return withdrawals;
    }

    private async Task<Withdrawal> StageAsync(LoyaltyProgram program, Member member, string asset, long amount, string? tokenId, string from,
        string data, string contract, DateTime now, CancellationToken ct)
    {
        // A fixed gas limit skips estimation: the second of several signed transfers is only valid once the first
        // has landed (sequential holder nonces), so estimating it up front would revert on nodes that estimate at "latest".
        var gas = asset == "points" ? 120_000 : 160_000;
        var tx = queue.Add(new ChainTxRequest(program.OperatorAddress, contract, data, "withdrawal." + asset, member.Id.ToString(), gas));
        await db.SaveChangesAsync(ct);
        var w = new Withdrawal
        {
            ProgramId = program.Id, MemberId = member.Id, Asset = asset, Amount = amount, TokenId = tokenId, From = from,
            To = member.WalletAddress, ChainTxId = tx.Id, CreatedAt = now,
        };
        db.Set<Withdrawal>().Add(w);
        return w;
    }
}
