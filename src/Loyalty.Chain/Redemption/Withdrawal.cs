using Loyalty.Chain.Chain;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition;
using Loyalty.Chain.Custody;
using Loyalty.Chain.Indexer;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Loyalty.Chain.Transactions;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Logging;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;

namespace Loyalty.Chain.Redemption;

/// <summary>A move of a member's points or collectible from their custodial wallet to their linked wallet.</summary>
public sealed class Withdrawal
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long MemberId { get; set; }
    public long? RequestId { get; set; }
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
/// <remarks>
/// A wallet linked less than the cool-off ago waits: a stolen key that links its own wallet gives the member and
/// the brand that long to notice. One request per member is open at a time, checked under the member lock: two
/// parallel requests would sign transfers with the same holder nonce and all but one would revert at the
/// operator's cost. Chain reads and signing happen before the write transaction, never inside it.
/// </remarks>
public sealed class WithdrawalService(LoyaltyDbContext db, CustodyService custody, WalletLinkService links, LedgerWriter ledger,
    ChainTxQueue queue, Web3Factory web3, IBackgroundJobClient jobs, TimeProvider time, ILogger<WithdrawalService> logger)
{
    public sealed record Outcome(WithdrawalRequest Request, IReadOnlyList<Withdrawal> Transfers);

    private sealed record Transfer(string Asset, long Amount, string? TokenId, string Data, string Contract);

    /// <param name="actor">Null when the member acts; "root" or "key:{id}" for an admin, who is audited.</param>
    public async Task<Outcome> RequestAsync(LoyaltyProgram program, Member seen, TimeSpan coolOff, string? actor, CancellationToken ct)
    {
        CheckWallets(seen);
        var now = time.GetUtcNow().UtcDateTime;
        var linkedAt = await links.LinkedAtAsync(seen.Id, seen.WalletAddress, ct) ?? now; // unknown link time: wait the whole cool-off
        var notBefore = linkedAt + coolOff;
        var transfers = notBefore <= now ? await PlanAsync(program, seen, ct) : null;
        var outcome = await db.InWriteTransactionAsync(async c =>
        {
            // A paused program's contracts refuse transfers: the request would only end Errored.
            await Programs.ProgramPause.EnsureNotPausedAsync(db, program.Id, c);
            await ledger.LockMemberAsync(seen.Id, c);
            // Loaded after the lock: what a concurrent redemption or link committed is what we check.
            var member = await db.Set<Member>().AsNoTracking().SingleAsync(m => m.Id == seen.Id, c);
            MemberBlocks.EnsureNotBlocked(member);
            CheckWallets(member);
            if (member.WalletAddress != seen.WalletAddress || member.CustodialAddress != seen.CustodialAddress)
                throw new LoyaltyException("WALLET_CHANGED", "the linked wallet changed during the request; retry", 409);
            await CheckNothingInFlightAsync(member, c);
            var request = new WithdrawalRequest
            {
                ProgramId = program.Id, MemberId = member.Id, To = member.WalletAddress, CreatedAt = now,
                NotBefore = transfers is null ? notBefore : now,
                Status = transfers is null ? WithdrawalRequestStatus.Scheduled : WithdrawalRequestStatus.Staged,
            };
            db.Add(request);
            if (actor is not null)
                db.Add(new AssetMoveAudit { ProgramId = program.Id, MemberId = member.Id, Action = AssetMoveAudit.Withdrawal, Actor = actor, Address = member.WalletAddress, At = now });
            await db.SaveChangesAsync(c);
            var staged = transfers is null ? [] : await StageAsync(program, member, request, transfers, now, c);
            return new Outcome(request, staged);
        }, ct);
        if (outcome.Request.Status == WithdrawalRequestStatus.Scheduled)
            jobs.Schedule<WithdrawalService>(s => s.RunScheduledAsync(outcome.Request.Id, CancellationToken.None), new DateTimeOffset(notBefore, TimeSpan.Zero));
        return outcome;
    }

    /// <summary>Stages a scheduled request once its time has come; safe to run twice (the claim is a conditional update).</summary>
    [AutomaticRetry(Attempts = 10)]
    public async Task RunScheduledAsync(long requestId, CancellationToken ct)
    {
        var request = await db.Set<WithdrawalRequest>().AsNoTracking().SingleOrDefaultAsync(r => r.Id == requestId, ct);
        if (request is not { Status: WithdrawalRequestStatus.Scheduled }) return;
        var now = time.GetUtcNow().UtcDateTime;
        if (request.NotBefore > now)
        {
            jobs.Schedule<WithdrawalService>(s => s.RunScheduledAsync(requestId, CancellationToken.None), new DateTimeOffset(request.NotBefore, TimeSpan.Zero));
            return;
        }
        var program = await db.Set<LoyaltyProgram>().AsNoTracking().SingleAsync(p => p.Id == request.ProgramId, ct);
        var seen = await db.Set<Member>().AsNoTracking().SingleAsync(m => m.Id == request.MemberId, ct);
        if (seen.WalletAddress != request.To || seen.WalletKind != WalletKind.SelfCustody || seen.CustodialIndex is null)
        {
            await SetStatusAsync(requestId, WithdrawalRequestStatus.Cancelled, ct);
            return;
        }
        var transfers = await PlanAsync(program, seen, ct, throwIfEmpty: false);
        if (transfers.Count == 0)
        {
            await SetStatusAsync(requestId, WithdrawalRequestStatus.Empty, ct);
            return;
        }
        await db.InWriteTransactionAsync(async c =>
        {
            await ledger.LockMemberAsync(seen.Id, c);
            var member = await db.Set<Member>().AsNoTracking().SingleAsync(m => m.Id == seen.Id, c);
            if (member.WalletAddress != request.To)
            {
                // Relinked meanwhile: the request was for another wallet, and must not block the member's next one.
                await SetStatusAsync(requestId, WithdrawalRequestStatus.Cancelled, c);
                return;
            }
            await CheckNoBurnAsync(member, c); // thrown: Hangfire retries later, when the burn has landed
            var claimed = await db.Set<WithdrawalRequest>().Where(r => r.Id == requestId && r.Status == WithdrawalRequestStatus.Scheduled)
                .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, WithdrawalRequestStatus.Staged), c);
            if (claimed == 1) await StageAsync(program, member, request, transfers, now, c);
        }, ct);
    }

    /// <summary>
    /// Recurring safety net: scheduled requests whose time passed a while ago and that no Hangfire job staged (the job is
    /// scheduled after the commit, so a crash in between, or retries exhausted while a burn was pending, left it alone).
    /// Without it such a request would answer WITHDRAWAL_IN_PROGRESS to the member forever.
    /// </summary>
    public async Task<int> RunOverdueAsync(CancellationToken ct)
    {
        var overdue = time.GetUtcNow().UtcDateTime - TimeSpan.FromSeconds(30);
        var ids = await db.Set<WithdrawalRequest>().AsNoTracking()
            .Where(r => r.Status == WithdrawalRequestStatus.Scheduled && r.NotBefore <= overdue)
            .OrderBy(r => r.Id).Select(r => r.Id).Take(100).ToListAsync(ct);
        var staged = 0;
        foreach (var id in ids)
        {
            try
            {
                await RunScheduledAsync(id, ct);
                staged++;
            }
            catch (LoyaltyException refused)
            {
                // A burn still in flight (or another refusal): the next pass tries again.
                db.ChangeTracker.Clear();
                logger.LogWarning("Scheduled withdrawal {Id} not staged yet: {Code}", id, refused.Code);
            }
        }
        return staged;
    }

    private Task SetStatusAsync(long requestId, WithdrawalRequestStatus status, CancellationToken ct) =>
        db.Set<WithdrawalRequest>().Where(r => r.Id == requestId && r.Status == WithdrawalRequestStatus.Scheduled)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, status), ct);

    private static void CheckWallets(Member member)
    {
        if (member.WalletKind != WalletKind.SelfCustody)
            throw new LoyaltyException("NO_LINKED_WALLET", "link a self-custody wallet first (wallet/challenge, wallet/link)", 409);
        if (member.CustodialIndex is null || member.CustodialAddress is null)
            throw new LoyaltyException("NO_CUSTODIAL_WALLET", "this member never had a custodial wallet", 409);
    }

    private async Task CheckNothingInFlightAsync(Member member, CancellationToken ct)
    {
        var scheduled = await db.Set<WithdrawalRequest>().AsNoTracking()
            .Where(r => r.MemberId == member.Id && r.Status == WithdrawalRequestStatus.Scheduled).Select(r => (DateTime?)r.NotBefore).FirstOrDefaultAsync(ct);
        if (scheduled is { } at)
            throw new LoyaltyException("WITHDRAWAL_IN_PROGRESS", $"a withdrawal is already scheduled for {at:O}", 409);
        var inFlight = await (from w in db.Set<Withdrawal>()
                              join t in db.Set<ChainTx>() on w.ChainTxId equals t.Id
                              where w.MemberId == member.Id
                                    && (t.Status == ChainTxStatus.Queued || t.Status == ChainTxStatus.Sent || t.Status == ChainTxStatus.Mined)
                              select w.Id).AnyAsync(ct);
        if (inFlight)
            throw new LoyaltyException("WITHDRAWAL_IN_PROGRESS", "a withdrawal of this member is still on its way; retry once it is final", 409);
        await CheckNoBurnAsync(member, ct);
    }

    private async Task CheckNoBurnAsync(Member member, CancellationToken ct)
    {
        if (await db.Set<Redemption>().AnyAsync(r => r.MemberId == member.Id && r.Owner == member.CustodialAddress
                && (r.Status == RedemptionStatus.Reserved || r.Status == RedemptionStatus.Burning), ct))
            throw new LoyaltyException("BURN_IN_PROGRESS", "a redemption from the custodial wallet is still burning; retry shortly", 409);
    }

    /// <summary>Reads what the custodial wallet holds and signs a transfer of each; no transaction is open here.</summary>
    private async Task<List<Transfer>> PlanAsync(LoyaltyProgram program, Member member, CancellationToken ct, bool throwIfEmpty = true)
    {
        var index = member.CustodialIndex!.Value;
        var custodial = member.CustodialAddress!;
        var chain = web3.Get();
        var deadline = time.GetUtcNow().AddDays(1).ToUnixTimeSeconds();
        var staged = new List<Transfer>();
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
            staged.Add(new Transfer("points", (long)balance, null, data, program.PointsContract!));
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
            staged.Add(new Transfer("collectible", 1, token.TokenId.ToString(), data, program.CollectibleContract!));
            collectibleNonce++;
        }
        if (staged.Count == 0 && throwIfEmpty)
            throw new LoyaltyException("NOTHING_TO_WITHDRAW", "the custodial wallet holds nothing that can move", 409);
        return staged;
    }

    /// <summary>All transfers and their records commit together (outbox), inside the caller's write transaction.</summary>
    private async Task<List<Withdrawal>> StageAsync(LoyaltyProgram program, Member member, WithdrawalRequest request, List<Transfer> transfers,
        DateTime now, CancellationToken ct)
    {
        var withdrawals = new List<Withdrawal>();
        foreach (var s in transfers)
        {
            // A fixed gas limit skips estimation: the second of several signed transfers is only valid once the first
            // has landed (sequential holder nonces), so estimating it up front would revert on nodes that estimate at "latest".
            var gas = s.Asset == "points" ? 120_000 : 160_000;
            var tx = queue.Add(new ChainTxRequest(program.Relayer, s.Contract, s.Data, "withdrawal." + s.Asset, member.Id.ToString(), gas));
            await db.SaveChangesAsync(ct);
            var w = new Withdrawal
            {
                ProgramId = program.Id, MemberId = member.Id, RequestId = request.Id, Asset = s.Asset, Amount = s.Amount, TokenId = s.TokenId,
                From = member.CustodialAddress!, To = member.WalletAddress, ChainTxId = tx.Id, CreatedAt = now,
            };
            db.Set<Withdrawal>().Add(w);
            withdrawals.Add(w);
        }
        await db.SaveChangesAsync(ct);
        return withdrawals;
    }
}
