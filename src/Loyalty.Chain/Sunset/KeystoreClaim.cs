using Loyalty.Chain.Custody;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Microsoft.EntityFrameworkCore;

namespace Loyalty.Chain.Sunset;

/// <summary>
/// After a sunset a member can take their custodial wallet with them: its key as an encrypted Web3 Secret Storage
/// keystore (scrypt) under a passphrase only they know, importable into any wallet. Every claim leaves an audit row
/// (the member themself or the admin acting for them), written and committed before the key is read.
/// </summary>
public sealed class KeystoreClaim(LoyaltyDbContext db, CustodyService custody, TimeProvider time)
{
    public const string Action = "keystore.claim";

    public async Task<string> ClaimAsync(long programId, Member member, string? passphrase, string actor, CancellationToken ct)
    {
        if (passphrase is not { Length: >= CustodyService.MinExportPasswordLength and <= 256 })
            throw new LoyaltyException("WEAK_PASSWORD", "the passphrase must be 12 to 256 characters");
        if (!await db.Set<ProgramSunset>().AnyAsync(s => s.ProgramId == programId, ct))
            throw new LoyaltyException("PROGRAM_NOT_SUNSETTING", "custodial keys are handed out only once the program is sunsetting", 409);
        if (member.CustodialIndex is not { } index || member.CustodialAddress is null)
            throw new LoyaltyException("NO_CUSTODIAL_WALLET", "this member never had a custodial wallet", 409);
        await db.InWriteTransactionAsync(async c =>
        {
            db.Add(new AssetMoveAudit
            {
                ProgramId = programId, MemberId = member.Id, Action = Action, Actor = actor, Address = member.CustodialAddress.ToLowerInvariant(),
                At = time.GetUtcNow().UtcDateTime,
            });
            await db.SaveChangesAsync(c);
        }, ct);
        return await custody.ExportMemberKeystoreAsync(programId, index, passphrase, ct);
    }
}
