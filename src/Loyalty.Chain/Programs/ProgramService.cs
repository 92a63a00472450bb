using Loyalty.Chain.Access;
using Loyalty.Chain.Contracts.LoyaltyCollectible.ContractDefinition;
using Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition;
using Loyalty.Chain.Custody;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Nethereum.ABI.FunctionEncoding;
using Nethereum.Hex.HexConvertors.Extensions;

namespace Loyalty.Chain.Programs;

public sealed record CreateProgramRequest(string Name, string PointName, string PointSymbol, int Decimals, string Currency,
    long PendingPeriodSeconds, string? TimeZone);

public sealed record CreatedProgram(LoyaltyProgram Program, string AdminKey);

/// <summary>
/// Creates programs. A program's two contracts are deployed through the transaction pipeline: the
/// program row, its admin key and both deployment transactions commit together (outbox), and
/// <see cref="ProgramActivation"/> takes it from there to Active.
/// </summary>
public sealed class ProgramService(LoyaltyDbContext db, CustodyService custody, ChainTxQueue queue, ApiKeyService keys, TimeProvider time,
    Microsoft.Extensions.Options.IOptions<Chain.ChainOptions> chain)
{
    public const string OperatorPurpose = "operator";
    /// <summary>Per-program service keys (<see cref="Ownership.Roles"/> lists what each holds).</summary>
    public const string MinterPurpose = "minter";
    public const string ClaimSignerPurpose = "claim-signer";
    public const string AdminPurpose = "program-admin";
    public const string FundPurpose = "program.fund";

    public async Task<CreatedProgram> CreateAsync(CreateProgramRequest request, CancellationToken ct)
    {
        Validate(request);
        var operatorAddress = await custody.GetOrCreateServiceKeyAsync(OperatorPurpose, null, ct);
        return await db.InWriteTransactionAsync(async ct =>
        {
            var program = new LoyaltyProgram
            {
                Name = request.Name.Trim(),
                PointName = request.PointName.Trim(),
                PointSymbol = request.PointSymbol.Trim(),
                Decimals = request.Decimals,
                Currency = request.Currency.ToUpperInvariant(),
                PendingPeriodSeconds = request.PendingPeriodSeconds,
                TimeZone = request.TimeZone ?? "UTC",
                Status = ProgramStatus.Deploying,
                OperatorAddress = operatorAddress,
                CreatedAt = time.GetUtcNow().UtcDateTime,
            };
            db.Set<LoyaltyProgram>().Add(program);
            await db.SaveChangesAsync(ct);
            // The program's own keys, in its transaction: a rolled-back creation leaves no key behind that nothing refers to.
            program.MinterAddress = await custody.GetOrCreateServiceKeyAsync(MinterPurpose, program.Id, ct);
            program.ClaimSignerAddress = await custody.GetOrCreateServiceKeyAsync(ClaimSignerPurpose, program.Id, ct);
            program.AdminAddress = await custody.GetOrCreateServiceKeyAsync(AdminPurpose, program.Id, ct);
            // The operator funds the two keys that send; these go first in its nonce order, before the deployments.
            Fund(program, program.MinterAddress);
            Fund(program, program.AdminAddress);

            var encoder = new ConstructorCallEncoder();
            var pointsData = encoder.EncodeRequest(new LoyaltyPointsDeployment
            {
                Name = program.PointName, Symbol = program.PointSymbol, Decimals = (byte)program.Decimals, Admin = program.ServiceAdmin,
            }, LoyaltyPointsDeploymentBase.BYTECODE);
            var collectibleData = encoder.EncodeRequest(new LoyaltyCollectibleDeployment
            {
                Name = program.Name + " Collectibles", Symbol = program.PointSymbol + "C", Admin = program.ServiceAdmin,
            }, LoyaltyCollectibleDeploymentBase.BYTECODE);
            var points = queue.Add(new ChainTxRequest(operatorAddress, null, pointsData, "program.deploy.points", program.Id.ToString()));
            var collectible = queue.Add(new ChainTxRequest(operatorAddress, null, collectibleData, "program.deploy.collectible", program.Id.ToString()));
            var (_, adminKey) = keys.Create(program.Id, ApiRole.Admin, "initial admin key");
            await db.SaveChangesAsync(ct);
            program.PointsDeployTxId = points.Id;
            program.CollectibleDeployTxId = collectible.Id;
            await db.SaveChangesAsync(ct);
            return new CreatedProgram(program, adminKey);
        }, ct);
    }

    /// <summary>Queues a gas top-up from the operator to one of the program's sending keys.</summary>
    public ChainTx Fund(LoyaltyProgram program, string to) =>
        queue.Add(new ChainTxRequest(program.OperatorAddress, to, "0x", FundPurpose, program.Id.ToString(), 21_000)
        {
            Value = System.Numerics.BigInteger.Parse(chain.Value.ServiceKeyFundingWei, System.Globalization.CultureInfo.InvariantCulture),
        });

    private static void Validate(CreateProgramRequest r)
    {
        if (string.IsNullOrWhiteSpace(r.Name) || r.Name.Length > 200) throw new LoyaltyException("INVALID_NAME", "name is required (at most 200 characters)");
        if (string.IsNullOrWhiteSpace(r.PointName) || r.PointName.Length > 64) throw new LoyaltyException("INVALID_POINT_NAME", "pointName is required (at most 64 characters)");
        if (string.IsNullOrWhiteSpace(r.PointSymbol) || r.PointSymbol.Length > 11 || !r.PointSymbol.All(char.IsAsciiLetterOrDigit))
            throw new LoyaltyException("INVALID_POINT_SYMBOL", "pointSymbol is 1-11 ASCII letters or digits");
        if (r.Decimals is < 0 or > 6) throw new LoyaltyException("INVALID_DECIMALS", "decimals must be between 0 and 6");
        if (!Currencies.IsKnown(r.Currency)) throw new LoyaltyException("UNKNOWN_CURRENCY", $"unknown currency '{r.Currency}'");
        if (r.PendingPeriodSeconds is < 0 or > 366L * 24 * 3600)
            throw new LoyaltyException("INVALID_PENDING_PERIOD", "pendingPeriodSeconds must be between 0 and one year");
        if (r.TimeZone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(r.TimeZone, out _))
            throw new LoyaltyException("INVALID_TIME_ZONE", $"unknown time zone '{r.TimeZone}'");
    }
}
