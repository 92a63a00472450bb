using System.Security.Cryptography;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nethereum.Signer;

namespace Loyalty.Chain.Custody;

/// <summary>
/// Links a self-custody wallet: the member proves control of an address by signing an EIP-4361 message
/// that carries a single-use server nonce. The service never sees that member's key.
/// </summary>
/// <remarks>Only externally owned accounts: EIP-1271 contract-wallet signatures are not verified yet.</remarks>
public sealed class WalletLinkService(
    LoyaltyDbContext db,
    TimeProvider time,
    IOptions<CustodyOptions> options,
    ILogger<WalletLinkService> logger)
{
    private const string NonceAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private const int NonceLength = 24; // about 143 bits: unguessable, and within EIP-4361's alphanumeric rule

    /// <summary>A nonce bound to one member and one address; expired, never-used nonces are cleaned up on the way.</summary>
    public async Task<SiweNonce> IssueNonceAsync(long programId, long memberId, string address, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        // Used nonces stay: they record when a wallet was linked. Unused ones are worthless once expired.
        await db.Set<SiweNonce>().Where(n => n.UsedAt == null && n.ExpiresAt < now).ExecuteDeleteAsync(ct);
        var nonce = new SiweNonce
        {
            Nonce = RandomNumberGenerator.GetString(NonceAlphabet, NonceLength),
            ProgramId = programId,
            MemberId = memberId,
            Address = address.ToLowerInvariant(),
            IssuedAt = now,
            ExpiresAt = now + options.Value.SiweNonceLifetime,
        };
        db.Add(nonce);
        await db.SaveChangesAsync(ct);
        db.Entry(nonce).State = EntityState.Detached;
        return nonce;
    }

    /// <summary>When the member last linked <paramref name="address"/> (null: never through this service).</summary>
    public Task<DateTime?> LinkedAtAsync(long memberId, string address, CancellationToken ct = default)
    {
        var lower = address.ToLowerInvariant();
        return db.Set<SiweNonce>().Where(n => n.MemberId == memberId && n.UsedBy == lower && n.UsedAt != null)
            .MaxAsync(n => n.UsedAt, ct);
    }

    /// <summary>
    /// Verifies a signed EIP-4361 message and consumes its nonce. Returns the proven address (EIP-55).
    /// </summary>
    /// <param name="linksWallet">
    /// False for a sign-in with an already linked wallet: the nonce is consumed but <see cref="SiweNonce.UsedBy"/> stays
    /// null, so <see cref="LinkedAtAsync"/> (the start of the withdrawal cool-off) does not see a new link.
    /// </param>
    /// <exception cref="CustodyException">With a SIWE_* code from <see cref="CustodyErrorCodes"/>.</exception>
    public async Task<string> VerifyAsync(long programId, long memberId, string message, string signatureHex, string expectedDomain,
        long expectedChainId, CancellationToken ct = default, bool linksWallet = true)
    {
        SiweMessage siwe;
        try { siwe = SiweMessage.Parse(message); }
        catch (FormatException e) { throw Fail(CustodyErrorCodes.SiweMalformed, "The sign-in message is malformed: " + e.Message); }

        if (!string.Equals(siwe.Domain, expectedDomain, StringComparison.OrdinalIgnoreCase))
            throw Fail(CustodyErrorCodes.SiweWrongDomain, $"The message is for {siwe.Domain}, not {expectedDomain}.");
        if (siwe.ChainId != expectedChainId)
            throw Fail(CustodyErrorCodes.SiweWrongChain, $"The message is for chain {siwe.ChainId}, not {expectedChainId}.");

        var signer = RecoverSigner(message, signatureHex);
        if (!string.Equals(signer, siwe.Address, StringComparison.OrdinalIgnoreCase))
            throw Fail(CustodyErrorCodes.SiweWrongSigner, $"The message names {siwe.Address} but was signed by {signer}.");

        var now = time.GetUtcNow();
        if (siwe.ExpirationTime is { } expires && expires <= now)
            throw Fail(CustodyErrorCodes.SiweExpired, $"The message expired at {expires:O}.");
        if (siwe.NotBefore is { } notBefore && notBefore > now)
            throw Fail(CustodyErrorCodes.SiweNotYetValid, $"The message is not valid before {notBefore:O}.");

        var nonce = await db.Set<SiweNonce>().AsNoTracking()
            .SingleOrDefaultAsync(n => n.Nonce == siwe.Nonce && n.ProgramId == programId, ct)
            ?? throw Fail(CustodyErrorCodes.SiweNonceUnknown, "The nonce was not issued by this service for this program.");
        // A nonce obtained for one member or wallet (say by a leaked shop key) cannot link another.
        if (nonce.MemberId != memberId || !string.Equals(nonce.Address, siwe.Address, StringComparison.OrdinalIgnoreCase))
            throw Fail(CustodyErrorCodes.SiweNonceMismatch, "The nonce was issued for another member or address.");
        if (nonce.UsedAt is not null)
            throw Fail(CustodyErrorCodes.SiweNonceReused, "The nonce has already been used; request a new one.");
        if (nonce.ExpiresAt <= now.UtcDateTime)
            throw Fail(CustodyErrorCodes.SiweExpired, "The nonce has expired; request a new one.");

        // The check above is only for a clear message; this conditional update is what makes the nonce
        // single-use: of two concurrent verifications exactly one changes the row.
        string? address = linksWallet ? siwe.Address.ToLowerInvariant() : null;
        var consumed = await db.Set<SiweNonce>()
            .Where(n => n.Nonce == siwe.Nonce && n.ProgramId == programId && n.MemberId == memberId && n.UsedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.UsedAt, now.UtcDateTime).SetProperty(n => n.UsedBy, address), ct);
        if (consumed != 1)
            throw Fail(CustodyErrorCodes.SiweNonceReused, "The nonce has already been used; request a new one.");

        logger.LogInformation("Verified sign-in of {Address} for program {ProgramId}", siwe.Address.ToLowerInvariant(), programId);
        return siwe.Address;
    }

    private string RecoverSigner(string message, string signatureHex)
    {
        var hex = signatureHex?.Trim() ?? "";
        if (hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) hex = hex[2..];
        if (hex.Length != 130 || !hex.All(char.IsAsciiHexDigit))
            throw Fail(CustodyErrorCodes.SiweMalformed, "The signature is not 65 bytes of hex.");
        try
        {
            return new EthereumMessageSigner().EncodeUTF8AndEcRecover(message, "0x" + hex);
        }
        // Nethereum reports unrecoverable signatures with assorted exception types, plain Exception included.
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Fail(CustodyErrorCodes.SiweMalformed, "The signature does not recover to any address.");
        }
    }

    private CustodyException Fail(string code, string detail)
    {
        logger.LogInformation("Rejected sign-in: {Code}", code);
        return new CustodyException(code, detail);
    }
}
