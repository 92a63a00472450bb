using Loyalty.Chain.Programs;

namespace Loyalty.Chain.Ownership;

public sealed record KeyRolesView(string Address, IReadOnlyList<string> Points, IReadOnlyList<string> Collectible);

public sealed record ServiceRolesView(KeyRolesView Admin, KeyRolesView Minter, KeyRolesView ClaimSigner);

/// <summary>GET …/ownership: who holds the program's roles, read from the chain with hasRole.</summary>
public sealed record OwnershipView(string? Admin, bool HandedOver, string Status, string? Detail, string? NewAdmin,
    ServiceRolesView ServiceRoles, KeyRolesView? BrandRoles, string OperatorAddress)
{
    private static readonly string[] PointsRoles = [Roles.DefaultAdmin, Roles.Minter, Roles.Pauser];
    private static readonly string[] CollectibleRoles = [Roles.DefaultAdmin, Roles.Minter, Roles.Pauser, Roles.DropAdmin, Roles.ClaimSigner];

    public static async Task<OwnershipView> ReadAsync(Nethereum.Web3.IWeb3 web3, LoyaltyProgram p)
    {
        if (p.PointsContract is null || p.CollectibleContract is null)
            throw new LoyaltyException("PROGRAM_NOT_ACTIVE", $"the program's contracts are not deployed yet (it is {p.Status})", 409);
        var addresses = new[] { p.ServiceAdmin, p.Relayer, p.ClaimSigner }.Concat(p.BrandAdmin is { } b ? [b] : Array.Empty<string>()).Distinct();
        var all = addresses.SelectMany(a => PointsRoles.Select(r => new RoleAssignment(ProgramContract.Points, r, a))
            .Concat(CollectibleRoles.Select(r => new RoleAssignment(ProgramContract.Collectible, r, a))));
        var held = await Roles.ReadAsync(web3, p, all);
        KeyRolesView Of(string address) => new(address,
            PointsRoles.Where(r => held[new(ProgramContract.Points, r, address)]).ToList(),
            CollectibleRoles.Where(r => held[new(ProgramContract.Collectible, r, address)]).ToList());
        bool IsAdmin(string a) => held[new(ProgramContract.Points, Roles.DefaultAdmin, a)] && held[new(ProgramContract.Collectible, Roles.DefaultAdmin, a)];
        var serviceAdminAny = held[new(ProgramContract.Points, Roles.DefaultAdmin, p.ServiceAdmin)]
                              || held[new(ProgramContract.Collectible, Roles.DefaultAdmin, p.ServiceAdmin)];
        var brandIsAdmin = p.BrandAdmin is { } brand && IsAdmin(brand);
        return new OwnershipView(
            brandIsAdmin ? p.BrandAdmin : IsAdmin(p.ServiceAdmin) ? p.ServiceAdmin : null,
            brandIsAdmin && !serviceAdminAny,
            p.HandoverStatus.ToString().ToLowerInvariant(), p.HandoverDetail, p.BrandAdmin,
            new ServiceRolesView(Of(p.ServiceAdmin), Of(p.Relayer), Of(p.ClaimSigner)),
            p.BrandAdmin is { } ba ? Of(ba) : null, p.OperatorAddress);
    }
}
