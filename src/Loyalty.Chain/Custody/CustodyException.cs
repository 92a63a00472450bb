namespace Loyalty.Chain.Custody;

/// <summary>A custody failure with a stable machine-readable <see cref="Code"/> for problem details.</summary>
public sealed class CustodyException(string code, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public string Code { get; } = code;
}

/// <summary>The codes a <see cref="CustodyException"/> carries; clients branch on these, so never rename one.</summary>
public static class CustodyErrorCodes
{
    public const string KeyFileInsecure = "CUSTODY_KEY_FILE_INSECURE";
    public const string KeyInvalid = "CUSTODY_KEY_INVALID";
    public const string KeyMismatch = "CUSTODY_KEK_MISMATCH";
    public const string DecryptionFailed = "CUSTODY_DECRYPTION_FAILED";
    public const string SeedNotFound = "CUSTODY_SEED_NOT_FOUND";
    public const string WalletNotFound = "CUSTODY_WALLET_NOT_FOUND";
    public const string WalletKeyMismatch = "CUSTODY_WALLET_KEY_MISMATCH";
    public const string ServiceKeyNotFound = "CUSTODY_SERVICE_KEY_NOT_FOUND";
    public const string ServiceKeyConflict = "CUSTODY_SERVICE_KEY_CONFLICT";

    public const string SiweMalformed = "SIWE_MALFORMED";
    public const string SiweWrongSigner = "SIWE_WRONG_SIGNER";
    public const string SiweNonceUnknown = "SIWE_NONCE_UNKNOWN";
    public const string SiweNonceReused = "SIWE_NONCE_REUSED";
    public const string SiweNonceMismatch = "SIWE_NONCE_MISMATCH";
    public const string SiweExpired = "SIWE_EXPIRED";
    public const string SiweNotYetValid = "SIWE_NOT_YET_VALID";
    public const string SiweWrongDomain = "SIWE_WRONG_DOMAIN";
    public const string SiweWrongChain = "SIWE_WRONG_CHAIN";
}
