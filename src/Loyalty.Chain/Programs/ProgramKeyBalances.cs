using System.Globalization;
using System.Numerics;
using Loyalty.Chain.Chain;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nethereum.RPC.Eth.DTOs;

namespace Loyalty.Chain.Programs;

/// <summary>The gas floor of a program's own sending keys (section "Health", beside the operator's).</summary>
public sealed class ProgramKeyOptions
{
    public const string Section = "Health";
    /// <summary>
    /// A program's sending key holding less than this (wei, decimal string) fails readiness (programKeys) and raises
    /// <see cref="ProgramKeyBalances.LowAlert"/>; default Chain:MinOperatorBalanceWei, the level a paused sender resumes at.
    /// </summary>
    public string? MinProgramKeyBalanceWei { get; set; }
}

/// <summary>One key a program's transactions are sent from. Role: relayer, retiring relayer or service admin.</summary>
public sealed record ProgramKey(long ProgramId, string Role, string Address);

public sealed record ProgramKeyBalance(ProgramKey Key, BigInteger Balance);

/// <summary>
/// The balances of every running program's sending keys, in one database query and one batched eth_getBalance per
/// <see cref="BatchSize"/> keys. The operator (the shared gas payer, and every key of a program from before the key
/// split) is not among them: the operator balance has its own check and alert.
/// </summary>
public sealed class ProgramKeyBalances(Web3Factory web3, IOptions<ProgramKeyOptions> options)
{
    public const string LowAlert = "PROGRAM_KEY_BALANCE_LOW";
    public const int BatchSize = 100;

    public BigInteger Minimum => BigInteger.Parse(options.Value.MinProgramKeyBalanceWei ?? web3.Options.MinOperatorBalanceWei, CultureInfo.InvariantCulture);

    public static string AlertSubject(ProgramKey key) => $"program:{key.ProgramId}:{key.Address}";

    /// <summary>
    /// The keys the pipeline sends a program's transactions from: the relayer, the retiring relayer while its queue drains,
    /// and the service's admin key until the hand-over to the brand has completed (afterwards it sends nothing).
    /// </summary>
    public static IEnumerable<ProgramKey> SendingKeys(LoyaltyProgram p)
    {
        if (p.MinterAddress is { } minter) yield return new(p.Id, "relayer", minter);
        if (p.RotationStatus == Ownership.RotationStatus.Draining && p.RetiringMinterAddress is { } retiring && retiring != p.MinterAddress)
            yield return new(p.Id, "retiring relayer", retiring);
        if (!p.HandedOver && p.AdminAddress is { } admin) yield return new(p.Id, "service admin", admin);
    }

    public async Task<IReadOnlyList<ProgramKeyBalance>> ReadAsync(LoyaltyDbContext db, CancellationToken ct)
    {
        var programs = await db.Set<LoyaltyProgram>().AsNoTracking()
            .Where(p => p.Status == ProgramStatus.Active || p.Status == ProgramStatus.Paused || p.Status == ProgramStatus.Resuming)
            .OrderBy(p => p.Id)
            .Select(p => new LoyaltyProgram
            {
                Id = p.Id, MinterAddress = p.MinterAddress, AdminAddress = p.AdminAddress, RetiringMinterAddress = p.RetiringMinterAddress,
                RotationStatus = p.RotationStatus, HandoverStatus = p.HandoverStatus,
            }).ToListAsync(ct);
        var keys = programs.SelectMany(SendingKeys).ToList();
        var addresses = keys.Select(k => k.Address).Distinct().ToArray();
        var balances = new Dictionary<string, BigInteger>();
        foreach (var chunk in addresses.Chunk(BatchSize))
        {
            var read = await web3.Get().Eth.GetBalance.SendBatchRequestAsync(chunk, BlockParameter.CreateLatest()).WaitAsync(ct);
            for (var i = 0; i < chunk.Length; i++) balances[chunk[i]] = read[i].Value;
        }
        return keys.Select(k => new ProgramKeyBalance(k, balances[k.Address])).ToList();
    }
}
