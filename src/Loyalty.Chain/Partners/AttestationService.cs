using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Loyalty.Chain.Chain;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.Custody;
using Loyalty.Chain.Ledger;
using Member = Loyalty.Chain.Members.Member;
using Loyalty.Chain.Programs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Util;

namespace Loyalty.Chain.Partners;

/// <summary>
/// Partner verification: balances read from the chain (never the ledger) at a pinned block, and EIP-712
/// attestations about them signed by the program's published attestation key. Anyone can check both
/// offline or against their own node; the service never signs a statement the chain does not support.
/// </summary>
public sealed partial class AttestationService(LoyaltyDbContext db, Web3Factory web3Factory, CustodyService custody, TimeProvider time,
    ILogger<AttestationService> logger)
{
    public const string DomainName = "Loyalty.Chain Attestation";
    public const string KeyPurpose = "attestation";
    private const int MaxTierLength = 64;

    [GeneratedRegex(@"\A[0-9]{1,78}\z")]
    private static partial Regex UnsignedInteger();

    public long ChainId => web3Factory.Options.ChainId;

    /// <summary>The program, when it exists and its contracts are live; anything else looks the same from outside.</summary>
    public async Task<LoyaltyProgram> GetActiveProgramAsync(long programId, CancellationToken ct)
    {
        var program = await db.Set<LoyaltyProgram>().AsNoTracking().SingleOrDefaultAsync(p => p.Id == programId, ct);
        if (program is not { Status: ProgramStatus.Active, PointsContract: not null })
            throw new LoyaltyException("UNKNOWN_PROGRAM", "no such program", 404);
        return program;
    }

    /// <summary>EIP-55 form of a 0x address; a mixed-case address must carry a valid checksum.</summary>
    public static string NormalizeAddress(string? address)
    {
        var util = AddressUtil.Current;
        if (address is null || !util.IsValidEthereumAddressHexFormat(address))
            throw new LoyaltyException("INVALID_ADDRESS", "address must be 0x followed by 40 hex digits");
        var hex = address[2..];
        if (hex.Any(char.IsUpper) && hex.Any(char.IsLower) && !util.IsChecksumAddress(address))
            throw new LoyaltyException("INVALID_ADDRESS", "address has an invalid EIP-55 checksum");
        return util.ConvertToChecksumAddress(address);
    }

    /// <summary>
    /// balanceOf at the latest block, pinned by number and checked by hash: a reorg between the two calls
    /// would pair the balance with another block than the one reported, so the read is repeated.
    /// </summary>
    public async Task<PinnedBalance> ReadBalanceAsync(LoyaltyProgram program, string address, CancellationToken ct)
    {
        var holder = NormalizeAddress(address);
        var web3 = web3Factory.Get();
        var points = new LoyaltyPointsService(web3, program.PointsContract);
        try
        {
            for (var attempt = 0; attempt < 3; attempt++)
            {
                ct.ThrowIfCancellationRequested();
                var head = await web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(BlockParameter.CreateLatest());
                var at = new BlockParameter(head.Number);
                var balance = await points.BalanceOfQueryAsync(holder, at);
                var same = await web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(at);
                if (string.Equals(same?.BlockHash, head.BlockHash, StringComparison.OrdinalIgnoreCase))
                    return new PinnedBalance(ChainId, AddressUtil.Current.ConvertToChecksumAddress(program.PointsContract),
                        holder, balance, (long)head.Number.Value, head.BlockHash.ToLowerInvariant());
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException && RpcErrors.Classify(ex).Kind == RpcErrorKind.Transport)
        {
            throw new LoyaltyException("RPC_UNAVAILABLE", "the node did not answer; try again", 503);
        }
        throw new LoyaltyException("CHAIN_REORGANIZING", "the chain head kept changing during the read; try again", 503);
    }

    /// <summary>The program's published attestation signer, generated (and kept encrypted) at first use.</summary>
    public async Task<string> GetAttestationKeyAsync(LoyaltyProgram program, CancellationToken ct) =>
        AddressUtil.Current.ConvertToChecksumAddress(await custody.GetOrCreateServiceKeyAsync(KeyPurpose, program.Id, ct));

    /// <summary>
    /// Signs "holder held at least minBalance (and tier) at the latest block". minBalance defaults to the balance
    /// itself. A statement the chain or the member record does not support is refused, never signed.
    /// </summary>
    public async Task<SignedAttestation> AttestAsync(LoyaltyProgram program, string? address, string? minBalance, string? tier,
        CancellationToken ct)
    {
        if (program is not { Status: ProgramStatus.Active, PointsContract: not null })
            throw new LoyaltyException("PROGRAM_NOT_ACTIVE", "the program's contracts are not deployed yet", 409);
        var holder = NormalizeAddress(address);
        BigInteger? threshold = null;
        if (minBalance is not null)
        {
            if (!UnsignedInteger().IsMatch(minBalance) || BigInteger.Parse(minBalance, CultureInfo.InvariantCulture) >= BigInteger.One << 256)
                throw new LoyaltyException("INVALID_AMOUNT", "minBalance must be a non-negative integer as a decimal string (smallest token unit)");
            threshold = BigInteger.Parse(minBalance, CultureInfo.InvariantCulture);
        }
        tier ??= "";
        if (tier.Length > MaxTierLength) throw new LoyaltyException("INVALID_TIER", $"tier is at most {MaxTierLength} characters");
        if (tier.Length > 0)
        {
            var wallet = holder.ToLowerInvariant();
            if (!await db.Set<Member>().AnyAsync(m => m.ProgramId == program.Id && m.WalletAddress == wallet && m.Tier == tier, ct))
                throw new LoyaltyException("TIER_MISMATCH", "no member holding this address has this tier", 409);
        }

        var pinned = await ReadBalanceAsync(program, holder, ct);
        var min = threshold ?? pinned.Balance;
        if (pinned.Balance < min)
            throw new LoyaltyException("BELOW_THRESHOLD", $"the balance at block {pinned.BlockNumber} is below minBalance", 409);

        var message = new BalanceAttestation
        {
            Holder = holder, Token = pinned.Contract, MinBalance = min, Tier = tier, BlockNumber = pinned.BlockNumber,
            BlockHash = pinned.BlockHash.HexToByteArray(), IssuedAt = time.GetUtcNow().ToUnixTimeSeconds(),
        };
        await custody.GetOrCreateServiceKeyAsync(KeyPurpose, program.Id, ct);
        var (signature, signer) = await custody.WithServiceKeyAsync(KeyPurpose, program.Id,
            key => (LoyaltyTypedData.Sign(message, DomainName, pinned.ChainId, pinned.Contract, key), key.GetPublicAddress()), ct);
        logger.LogInformation("Attested {Holder} held at least {MinBalance} (tier '{Tier}') at block {Block} in program {ProgramId}, signer {Signer}",
            holder, min, tier, pinned.BlockNumber, program.Id, signer);
        return new SignedAttestation(TypedDataJson(message, pinned.ChainId, pinned.Contract), signature.ToHex(true), signer, message);
    }

    /// <summary>The signer of an attestation: what a partner does offline (any EIP-712 library gives the same).</summary>
    public static string Recover(BalanceAttestation message, long chainId, string token, byte[] signature) =>
        LoyaltyTypedData.Recover(message, DomainName, chainId, token, signature);

    /// <summary>The typed data as eth_signTypedData_v4 takes it.</summary>
    public static JsonObject TypedDataJson(BalanceAttestation message, long chainId, string token) =>
        LoyaltyTypedData.ToWalletJson(message, DomainName, chainId, token);
}
