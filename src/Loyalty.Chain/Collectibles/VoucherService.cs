using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using Loyalty.Chain.Chain;
using Loyalty.Chain.Contracts.LoyaltyCollectible;
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

/// <summary>A signed claim voucher and the EIP-712 typed data a wallet shows before the member submits it.</summary>
public sealed record VoucherView(long Id, string MemberId, string Recipient, string DropId, string Nonce, long Deadline, string Signature,
    string Contract, long ChainId, string Status, long? RelayTxId, string? RelayError, string? TokenId, object TypedData);

/// <summary>
/// Claim vouchers for self-custody members: <c>Claim(recipient, dropId, nonce, deadline)</c> signed by the
/// program's operator (it holds CLAIM_SIGNER_ROLE). The member submits it from their wallet, or asks the
/// operator to relay it through the pipeline. The contract spends each nonce once; here each member gets at
/// most one voucher per drop, and never both a voucher and a planned mint of a single drop.
/// </summary>
public sealed class VoucherService(
    LoyaltyDbContext db, ISenderKeys keys, ChainTxQueue queue, Web3Factory web3Factory, DropAudienceResolver audience,
    IOptions<CollectiblesOptions> options, TimeProvider time)
{
    private readonly Dictionary<string, string> domainNames = new(StringComparer.OrdinalIgnoreCase);

    public async Task<VoucherView> IssueAsync(LoyaltyProgram program, long dropId, Member member, CancellationToken ct)
    {
        var drop = await ClaimableDropAsync(program, dropId, ct);
        if (member.WalletKind != WalletKind.SelfCustody)
            throw new LoyaltyException("NOT_SELF_CUSTODY", "vouchers are for members with a linked wallet; custodial members are minted to", 409);
        if (drop.Audience.Kind != DropAudienceKind.Explicit && !await audience.QualifiesAsync(program.Id, drop.Audience, member.Id, ct))
            throw new LoyaltyException("MEMBER_NOT_ELIGIBLE", "the member does not meet this drop's criteria", 403);

        var now = time.GetUtcNow();
        var existing = await db.Set<DropVoucher>().SingleOrDefaultAsync(v => v.DropId == dropId && v.MemberId == member.Id, ct);
        // The same voucher again while it could still be used (idempotent). A new signature only once the old one can never
        // be: its deadline is behind the chain's latest block, and the chain says its nonce was not spent by a direct claim
        // the indexer has not recorded yet. Two usable vouchers would let one member claim twice.
        if (existing is not null)
        {
            var state = existing.Status == VoucherStatus.Issued ? await OnChainStateAsync(program, existing) : VoucherChainState.Spent;
            if (state == VoucherChainState.Spent && existing.Status == VoucherStatus.Issued)
            {
                // Claimed from the member's wallet and not indexed yet: record it now.
                await db.Set<DropVoucher>().Where(v => v.Id == existing.Id && v.Status == VoucherStatus.Issued)
                    .ExecuteUpdateAsync(u => u.SetProperty(v => v.Status, VoucherStatus.Claimed), ct);
                existing = await db.Set<DropVoucher>().AsNoTracking().SingleAsync(v => v.Id == existing.Id, ct);
            }
            if (state != VoucherChainState.Expired) return await ViewAsync(program, drop, existing, member, ct);
        }
        if (!drop.AllowMultiplePerMember && await db.Set<DropMint>().AnyAsync(m => m.DropId == dropId && m.MemberId == member.Id
                                                                                   && m.Status != DropMintStatus.Failed, ct))
            throw new LoyaltyException("DROP_ALREADY_GRANTED", "this member already has a mint of this drop planned or done", 409);

        var deadline = now + options.Value.VoucherLifetime;
        if (drop.EndsAt is { } end && end < deadline.UtcDateTime) deadline = new DateTimeOffset(DateTime.SpecifyKind(end, DateTimeKind.Utc));
        var message = new ClaimMessage
        {
            Recipient = member.WalletAddress, DropId = drop.OnChainDropId!.Value,
            Nonce = new BigInteger(RandomNumberGenerator.GetBytes(16), isUnsigned: true), Deadline = deadline.ToUnixTimeSeconds(),
        };
        var contract = program.CollectibleContract!;
        var domain = await DomainNameAsync(contract);
        var chainId = web3Factory.Options.ChainId;
        var signature = await keys.WithKeyAsync(program.ClaimSigner, key => LoyaltyTypedData.Sign(message, domain, chainId, contract, key), ct);

        var recipient = Address.Normalize(member.WalletAddress);
        var (nonce, deadlineSeconds, signed) = (message.Nonce.ToString(), (long)message.Deadline, signature.ToHex(true));
        DropVoucher voucher;
        if (existing is not null)
        {
            // Replace the expired voucher only if it is still the one we judged expired: two concurrent reissues would
            // otherwise both sign, and the overwritten nonce would stay a second valid voucher on chain.
            var oldNonce = existing.Nonce;
            await db.Set<DropVoucher>().Where(v => v.Id == existing.Id && v.Nonce == oldNonce && v.Status == VoucherStatus.Issued)
                .ExecuteUpdateAsync(u => u.SetProperty(v => v.Recipient, recipient).SetProperty(v => v.Nonce, nonce)
                    .SetProperty(v => v.Deadline, deadlineSeconds).SetProperty(v => v.Signature, signed), ct);
            db.ChangeTracker.Clear();
            voucher = await db.Set<DropVoucher>().AsNoTracking().SingleAsync(v => v.Id == existing.Id, ct);
            return await ViewAsync(program, drop, voucher, member, ct);
        }
        voucher = new DropVoucher
        {
            ProgramId = program.Id, DropId = dropId, MemberId = member.Id, CreatedAt = now.UtcDateTime,
            Recipient = recipient, Nonce = nonce, Deadline = deadlineSeconds, Signature = signed, Status = VoucherStatus.Issued,
        };
        db.Set<DropVoucher>().Add(voucher);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // A concurrent request issued this member's voucher first: hand out that one.
            db.ChangeTracker.Clear();
            voucher = await db.Set<DropVoucher>().AsNoTracking().SingleAsync(v => v.DropId == dropId && v.MemberId == member.Id, ct);
        }
        return await ViewAsync(program, drop, voucher, member, ct);
    }

    /// <summary>The operator submits the voucher for the member (no gas for them). A spent voucher is refused here or, if
    /// the member used it on chain meanwhile, reverts at estimation and is recorded as Errored (LoyaltyCollectibleVoucherUsed).</summary>
    public async Task<VoucherView> RelayAsync(LoyaltyProgram program, long dropId, string nonce, CancellationToken ct)
    {
        var drop = await db.Set<Drop>().AsNoTracking().SingleOrDefaultAsync(d => d.Id == dropId && d.ProgramId == program.Id, ct)
                   ?? throw new LoyaltyException("UNKNOWN_DROP", $"no drop {dropId} in this program", 404);
        var voucher = await db.Set<DropVoucher>().AsNoTracking().SingleOrDefaultAsync(v => v.DropId == dropId && v.Nonce == nonce, ct)
                      ?? throw new LoyaltyException("UNKNOWN_VOUCHER", "no such voucher for this drop", 404);
        if (voucher.Status != VoucherStatus.Issued) throw new LoyaltyException("VOUCHER_USED", "this voucher was already used or relayed", 409);
        if (voucher.Deadline < time.GetUtcNow().ToUnixTimeSeconds()) throw new LoyaltyException("VOUCHER_EXPIRED", "this voucher has expired", 410);

        var data = new ClaimFunction
        {
            Recipient = voucher.Recipient, DropId = drop.OnChainDropId!.Value, Nonce = BigInteger.Parse(voucher.Nonce), Deadline = voucher.Deadline,
            Signature = voucher.Signature.HexToByteArray(),
        }.GetCallData().ToHex(true);
        await db.InWriteTransactionAsync(async ct =>
        {
            // Issued -> Relaying first, so two concurrent relays queue one transaction.
            var claimed = await db.Set<DropVoucher>().Where(v => v.Id == voucher.Id && v.Status == VoucherStatus.Issued)
                .ExecuteUpdateAsync(u => u.SetProperty(v => v.Status, VoucherStatus.Relaying).SetProperty(v => v.RelayError, (string?)null), ct);
            if (claimed == 0) throw new LoyaltyException("VOUCHER_USED", "this voucher was already used or relayed", 409);
            var chainTx = queue.Add(new ChainTxRequest(program.Relayer, program.CollectibleContract!, data, DropProcessor.ClaimPurpose,
                voucher.Id.ToString()));
            await db.SaveChangesAsync(ct);
            await db.Set<DropVoucher>().Where(v => v.Id == voucher.Id).ExecuteUpdateAsync(u => u.SetProperty(v => v.RelayTxId, chainTx.Id), ct);
        }, ct);
        var member = await db.Set<Member>().AsNoTracking().SingleAsync(m => m.Id == voucher.MemberId, ct);
        var current = await db.Set<DropVoucher>().AsNoTracking().SingleAsync(v => v.Id == voucher.Id, ct);
        return await ViewAsync(program, drop, current, member, ct);
    }

    private enum VoucherChainState { Usable, Spent, Expired }

    /// <summary>Spent when its nonce is used on chain; Expired when its deadline is behind the chain's latest block and our clock (never claimable).</summary>
    private async Task<VoucherChainState> OnChainStateAsync(LoyaltyProgram program, DropVoucher voucher)
    {
        var web3 = web3Factory.Get();
        if (await new LoyaltyCollectibleService(web3, program.CollectibleContract!)
                .IsVoucherUsedQueryAsync(BigInteger.Parse(voucher.Nonce, CultureInfo.InvariantCulture)))
            return VoucherChainState.Spent;
        var latest = await web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(Nethereum.RPC.Eth.DTOs.BlockParameter.CreateLatest());
        // Past by our clock and by the chain's: the chain is what refuses a late claim, and a node's clock may lag or lead ours.
        var past = voucher.Deadline < time.GetUtcNow().ToUnixTimeSeconds() && latest is not null && voucher.Deadline < (long)latest.Timestamp.Value;
        return past ? VoucherChainState.Expired : VoucherChainState.Usable;
    }

    private async Task<Drop> ClaimableDropAsync(LoyaltyProgram program, long dropId, CancellationToken ct)
    {
        var drop = await db.Set<Drop>().AsNoTracking().SingleOrDefaultAsync(d => d.Id == dropId && d.ProgramId == program.Id, ct)
                   ?? throw new LoyaltyException("UNKNOWN_DROP", $"no drop {dropId} in this program", 404);
        if (drop.Status == DropStatus.SoldOut) throw new LoyaltyException("DROP_SOLD_OUT", "this drop is sold out", 409);
        if (drop.Status == DropStatus.Closed || drop.EndsAt <= time.GetUtcNow().UtcDateTime)
            throw new LoyaltyException("DROP_CLOSED", "this drop's mint window has ended", 409);
        if (drop.Status != DropStatus.Published || drop.OnChainDropId is null)
            throw new LoyaltyException("DROP_NOT_PUBLISHED", "vouchers are issued once the drop is on chain", 409);
        return drop;
    }

    private async Task<VoucherView> ViewAsync(LoyaltyProgram program, Drop drop, DropVoucher v, Member member, CancellationToken ct)
    {
        var contract = program.CollectibleContract!;
        var chainId = web3Factory.Options.ChainId;
        var typedData = LoyaltyTypedData.ToWalletJson(new ClaimMessage
        {
            Recipient = v.Recipient, DropId = drop.OnChainDropId!.Value, Nonce = BigInteger.Parse(v.Nonce, CultureInfo.InvariantCulture),
            Deadline = v.Deadline,
        }, await DomainNameAsync(contract), chainId, contract);
        return new VoucherView(v.Id, member.ExternalId, v.Recipient, drop.OnChainDropId.Value.ToString(), v.Nonce, v.Deadline, v.Signature,
            contract, chainId, v.Status.ToString(), v.RelayTxId, v.RelayError, v.TokenId?.ToString(), typedData);
    }

    /// <summary>The contract's EIP-712 domain name is its ERC-721 name, read from the chain (not rebuilt from the program name).</summary>
    private async Task<string> DomainNameAsync(string contract)
    {
        if (domainNames.TryGetValue(contract, out var name)) return name;
        return domainNames[contract] = await new LoyaltyCollectibleService(web3Factory.Get(), contract).NameQueryAsync();
    }
}
