using Loyalty.Chain.Transactions;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Util;
using Grant = Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition.GrantRoleFunction;
using Revoke = Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition.RevokeRoleFunction;
using Renounce = Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition.RenounceRoleFunction;
using HasRole = Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition.HasRoleFunction;
using HasRoleOutput = Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition.HasRoleOutputDTO;

namespace Loyalty.Chain.Ownership;

public enum HandoverStatus { None, Granting, Renouncing, Completed, Failed }

public enum RotationStatus { None, Granting, AwaitingBrand, Draining, Revoking, Completed, Failed }

/// <summary>Which contract of a program a role lives on.</summary>
public enum ProgramContract { Points, Collectible }

/// <summary>One role of one address on one of the program's contracts.</summary>
public sealed record RoleAssignment(ProgramContract Contract, string Role, string Account);

/// <summary>
/// The AccessControl roles of a program's two contracts, who of the service holds which, and the call data to change them.
/// Both contracts inherit OpenZeppelin's AccessControl, so grantRole/revokeRole/renounceRole/hasRole share one ABI.
/// </summary>
public static class Roles
{
    public const string DefaultAdmin = "DEFAULT_ADMIN_ROLE";
    public const string Minter = "MINTER_ROLE";
    public const string Pauser = "PAUSER_ROLE";
    public const string DropAdmin = "DROP_ADMIN_ROLE";
    public const string ClaimSigner = "CLAIM_SIGNER_ROLE";

    public static byte[] Hash(string role) =>
        role == DefaultAdmin ? new byte[32] : Sha3Keccack.Current.CalculateHash(System.Text.Encoding.UTF8.GetBytes(role));

    /// <summary>What the relayer needs to operate: mint points and collectibles, create drops.</summary>
    public static IEnumerable<RoleAssignment> RelayerRoles(string relayer) =>
    [
        new(ProgramContract.Points, Minter, relayer),
        new(ProgramContract.Collectible, Minter, relayer),
        new(ProgramContract.Collectible, DropAdmin, relayer),
    ];

    /// <summary>What the program's admin holds: the admin role (from the constructor) and the pauser role on both contracts.</summary>
    public static IEnumerable<RoleAssignment> AdminRoles(string admin) =>
    [
        new(ProgramContract.Points, DefaultAdmin, admin),
        new(ProgramContract.Points, Pauser, admin),
        new(ProgramContract.Collectible, DefaultAdmin, admin),
        new(ProgramContract.Collectible, Pauser, admin),
    ];

    /// <summary>What the brand receives at a hand-over: the admin roles, and drop administration so it can manage drops itself.</summary>
    public static IEnumerable<RoleAssignment> BrandRoles(string brand) =>
        AdminRoles(brand).Append(new RoleAssignment(ProgramContract.Collectible, DropAdmin, brand));

    /// <summary>Every role the service's keys hold while the service administers the program.</summary>
    public static IReadOnlyList<RoleAssignment> ServiceRoles(Programs.LoyaltyProgram p) =>
        AdminRoles(p.ServiceAdmin).Concat(Operating(p)).Distinct().ToList();

    /// <summary>What the service keeps after a hand-over: the relayer's and the claim signer's roles, nothing administrative.</summary>
    public static IReadOnlyList<RoleAssignment> Operating(Programs.LoyaltyProgram p) =>
        RelayerRoles(p.Relayer).Append(new RoleAssignment(ProgramContract.Collectible, ClaimSigner, p.ClaimSigner)).Distinct().ToList();

    /// <summary>The service's roles a hand-over renounces: the admin's, except those the same address needs to operate (a program from before the split).</summary>
    public static IReadOnlyList<RoleAssignment> ToRenounce(Programs.LoyaltyProgram p) =>
        AdminRoles(p.ServiceAdmin).Concat([new RoleAssignment(ProgramContract.Collectible, DropAdmin, p.ServiceAdmin)])
            .Except(Operating(p)).Distinct().OrderBy(r => r.Role == DefaultAdmin).ToList();

    public static string ContractOf(Programs.LoyaltyProgram p, ProgramContract c) =>
        (c == ProgramContract.Points ? p.PointsContract : p.CollectibleContract)
        ?? throw new LoyaltyException("PROGRAM_NOT_ACTIVE", "the program's contracts are not deployed yet", 409);

    public static ChainTxRequest GrantTx(Programs.LoyaltyProgram p, string from, RoleAssignment r, string purpose, string? reference = null) =>
        new(from, ContractOf(p, r.Contract), new Grant { Role = Hash(r.Role), Account = r.Account }.GetCallData().ToHex(true), purpose,
            reference ?? p.Id.ToString());

    public static ChainTxRequest RevokeTx(Programs.LoyaltyProgram p, string from, RoleAssignment r, string purpose, string? reference = null) =>
        new(from, ContractOf(p, r.Contract), new Revoke { Role = Hash(r.Role), Account = r.Account }.GetCallData().ToHex(true), purpose,
            reference ?? p.Id.ToString());

    /// <summary>renounceRole(role, callerConfirmation): only the holder itself can send it, so it is sent from <see cref="RoleAssignment.Account"/>.</summary>
    public static ChainTxRequest RenounceTx(Programs.LoyaltyProgram p, RoleAssignment r, string purpose) =>
        new(r.Account, ContractOf(p, r.Contract), new Renounce { Role = Hash(r.Role), CallerConfirmation = r.Account }.GetCallData().ToHex(true),
            purpose, p.Id.ToString());

    /// <summary>At most this many hasRole calls go in one JSON-RPC batch (hosted providers cap batch sizes; a program's report is ~24–32).</summary>
    public const int MaxBatch = 100;

    /// <summary>
    /// hasRole read from the chain for each assignment (eth_call; never inside a write transaction), as one JSON-RPC batch
    /// request (one HTTP round trip per <see cref="MaxBatch"/> calls) instead of one request per role and address.
    /// </summary>
    public static async Task<Dictionary<RoleAssignment, bool>> ReadAsync(Nethereum.Web3.IWeb3 web3, Programs.LoyaltyProgram p,
        IEnumerable<RoleAssignment> assignments)
    {
        var distinct = assignments.Distinct().ToList();
        var result = new Dictionary<RoleAssignment, bool>();
        var call = (Nethereum.RPC.Eth.Transactions.EthCall)web3.Eth.Transactions.Call;
        foreach (var chunk in distinct.Chunk(MaxBatch))
        {
            var batch = new Nethereum.JsonRpc.Client.RpcRequestResponseBatch();
            var items = chunk.Select((r, i) =>
            {
                var input = new HasRole { Role = Hash(r.Role), Account = r.Account }.CreateCallInput(ContractOf(p, r.Contract));
                var item = new Nethereum.JsonRpc.Client.RpcRequestResponseBatchItem<Nethereum.RPC.Eth.Transactions.EthCall, string>(
                    call, call.BuildRequest(input, call.DefaultBlock, i + 1));
                batch.BatchItems.Add(item);
                return (r, input, item);
            }).ToList();
            var batched = true;
            try
            {
                await web3.Client.SendBatchRequestAsync(batch);
                batched = items.All(x => !x.item.HasError && x.item.Response is not null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                batched = false; // a provider that refuses JSON-RPC batches: one call each, as before the batch
            }
            foreach (var (r, input, item) in items)
                result[r] = new HasRoleOutput().DecodeOutput(batched ? item.Response : await call.SendRequestAsync(input)).ReturnValue1;
        }
        return result;
    }

    private static readonly System.Text.RegularExpressions.Regex AddressPattern =
        new(@"^0x[0-9a-fA-F]{40}\z", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>A 0x address (not the zero address), lower-cased; else 400 INVALID_ADDRESS.</summary>
    public static string ParseAddress(string? text, string field)
    {
        if (text is null || !AddressPattern.IsMatch(text) || text[2..].All(c => c == '0'))
            throw new LoyaltyException("INVALID_ADDRESS", $"{field} must be 0x followed by 40 hex digits (not the zero address)");
        return Address.Normalize(text);
    }
}
