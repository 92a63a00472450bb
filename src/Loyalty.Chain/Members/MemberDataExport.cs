using System.Globalization;
using System.Linq.Expressions;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Loyalty.Chain.Access;
using Loyalty.Chain.Adjustments;
using Loyalty.Chain.Analytics;
using Loyalty.Chain.Challenges;
using Loyalty.Chain.Collectibles;
using Loyalty.Chain.Custody;
using Loyalty.Chain.Earning;
using Loyalty.Chain.Expiry;
using Loyalty.Chain.Indexer;
using Loyalty.Chain.Leaderboards;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Offers;
using Loyalty.Chain.Redemption;
using Loyalty.Chain.Referrals;
using Loyalty.Chain.Settlement;
using Loyalty.Chain.Tiers;
using Loyalty.Chain.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Loyalty.Chain.Members;

/// <summary>
/// The right of access (GDPR art. 15) and to portability (art. 20): every row the service holds about one member, as
/// JSON. Rows are written from the EF model, column by column, so a column added later is exported without anyone
/// remembering to; only the columns in <see cref="OmittedColumns"/> (credentials, never data about the person) are left out.
/// </summary>
/// <remarks>
/// 64-bit integers (points, amounts, ids) and big integers are decimal strings: points in the token's smallest unit
/// can exceed 2^53. A test checks that every entity type with a member column is a section here or in <see cref="NotExported"/>.
/// </remarks>
public sealed class MemberDataExport(LoyaltyDbContext db, TimeProvider time)
{
    public const string Format = "loyalty-chain/member-export/v1";

    /// <summary>What a section's filter sees: the member, its addresses (custodial and linked) and the context for subqueries.</summary>
    private sealed record Scope(LoyaltyDbContext Db, Member Member, string[] Addresses);

    private sealed record Section(string Name, Type Entity, bool Single, Func<Scope, CancellationToken, Task<List<object>>> Load);

    private static Section Rows<T>(string name, Func<Member, string[], Expression<Func<T, bool>>> filter, bool single = false) where T : class =>
        Rows<T>(name, s => filter(s.Member, s.Addresses), single);

    private static Section Rows<T>(string name, Func<Scope, Expression<Func<T, bool>>> filter, bool single = false) where T : class =>
        new(name, typeof(T), single, async (scope, ct) =>
            (await scope.Db.Set<T>().AsNoTracking().Where(filter(scope)).ToListAsync(ct)).Cast<object>().ToList());

    private static readonly Section[] Sections =
    [
        Rows<Member>("member", (m, _) => x => x.Id == m.Id, single: true),
        Rows<MemberProfile>("profile", (m, _) => x => x.MemberId == m.Id, single: true),
        Rows<MemberBalance>("balance", (m, _) => x => x.MemberId == m.Id, single: true),
        Rows<MemberBlockAudit>("blocks", (m, _) => x => x.MemberId == m.Id),
        Rows<CustodialWallet>("custodialWallets", (m, a) => x => x.ProgramId == m.ProgramId && a.Contains(x.Address)),
        Rows<SiweNonce>("walletLinkChallenges", (m, _) => x => x.MemberId == m.Id),
        Rows<AssetMoveAudit>("assetMovesByAdmin", (m, _) => x => x.MemberId == m.Id),
        Rows<LoyaltyEvent>("events", (m, _) => x => x.MemberId == m.Id),
        Rows<EventCategory>("eventCategories", (m, _) => x => x.MemberId == m.Id),
        Rows<LedgerEntry>("ledgerEntries", (m, _) => x => x.MemberId == m.Id),
        Rows<Accrual>("accruals", (m, _) => x => x.MemberId == m.Id),
        Rows<PointLot>("pointLots", (m, _) => x => x.MemberId == m.Id),
        Rows<LotDraw>("pointLotDraws", (m, _) => x => x.MemberId == m.Id),
        Rows<MintIntent>("mintIntents", (m, _) => x => x.MemberId == m.Id),
        Rows<RuleAward>("ruleAwards", (m, _) => x => x.MemberId == m.Id),
        Rows<Adjustment>("adjustments", (m, _) => x => x.MemberId == m.Id),
        Rows<ExpiryReminder>("expiryReminders", (m, _) => x => x.MemberId == m.Id),
        Rows<Redemption.Redemption>("redemptions", (m, _) => x => x.MemberId == m.Id),
        // Coupons carry no member column: they are the member's through a redemption.
        Rows<CouponCode>("coupons", s => x => x.ProgramId == s.Member.ProgramId
            && s.Db.Set<Redemption.Redemption>().Any(r => r.Id == x.RedemptionId && r.MemberId == s.Member.Id)),
        Rows<Withdrawal>("withdrawals", (m, _) => x => x.MemberId == m.Id),
        Rows<WithdrawalRequest>("withdrawalRequests", (m, _) => x => x.MemberId == m.Id),
        Rows<DropMint>("collectibles", (m, _) => x => x.MemberId == m.Id),
        Rows<DropVoucher>("collectibleVouchers", (m, _) => x => x.MemberId == m.Id),
        Rows<TokenHolding>("onChainPointHoldings", (m, a) => x => x.ProgramId == m.ProgramId && a.Contains(x.Holder)),
        Rows<CollectibleOwner>("onChainCollectibles", (m, a) => x => x.ProgramId == m.ProgramId && a.Contains(x.Owner)),
        Rows<TransferLog>("onChainTransfers", (m, a) => x => x.ProgramId == m.ProgramId && (a.Contains(x.From) || a.Contains(x.To))),
        Rows<MemberTierState>("tier", (m, _) => x => x.MemberId == m.Id, single: true),
        Rows<TierBucket>("tierBuckets", (m, _) => x => x.MemberId == m.Id),
        Rows<TierChange>("tierChanges", (m, _) => x => x.MemberId == m.Id),
        Rows<ReferralCode>("referralCodes", (m, _) => x => x.MemberId == m.Id),
        Rows<Referral>("referrals", (m, _) => x => x.ReferrerId == m.Id || x.RefereeId == m.Id),
        Rows<ChallengeProgress>("challengeProgress", (m, _) => x => x.MemberId == m.Id),
        Rows<ChallengeCompletion>("challengeCompletions", (m, _) => x => x.MemberId == m.Id),
        Rows<ChallengeAward>("challengeAwards", (m, _) => x => x.MemberId == m.Id),
        Rows<OfferMember>("personalOffers", (m, _) => x => x.MemberId == m.Id),
        Rows<LeaderboardProfile>("leaderboard", (m, _) => x => x.MemberId == m.Id, single: true),
        Rows<AnalyticsMemberDay>("analyticsDays", (m, _) => x => x.MemberId == m.Id),
        Rows<AnalyticsMemberMonth>("analyticsMonths", (m, _) => x => x.MemberId == m.Id),
        Rows<AnalyticsRuleMemberDay>("analyticsRuleDays", (m, _) => x => x.MemberId == m.Id),
        Rows<AnalyticsMemberState>("analyticsStates", (m, _) => x => x.MemberId == m.Id),
        Rows<AnalyticsRuleMemberState>("analyticsRules", (m, _) => x => x.MemberId == m.Id),
        Rows<WebhookEvent>("webhookEvents", (m, _) => x => x.MemberId == m.Id),
        Rows<WebhookDelivery>("webhookDeliveries", (m, _) => x => x.MemberId == m.Id),
        Rows<MemberSession>("sessions", (m, _) => x => x.ProgramId == m.ProgramId && x.MemberId == m.Id),
    ];

    /// <summary>Entity types with a member column that have no section, and why.</summary>
    public static readonly IReadOnlyDictionary<Type, string> NotExported = new Dictionary<Type, string>
    {
        [typeof(Segments.ProfileText)] = "a read-only view of MemberProfiles, exported as 'profile'",
    };

    /// <summary>Columns never exported: credentials (hashes of session secrets, signatures, nonces), not data about the person.</summary>
    public static readonly IReadOnlySet<(Type Entity, string Column)> OmittedColumns = new HashSet<(Type, string)>
    {
        (typeof(MemberSession), nameof(MemberSession.SecretHash)),
        (typeof(MemberSession), nameof(MemberSession.CsrfHash)),
        (typeof(SiweNonce), nameof(SiweNonce.Nonce)),
        (typeof(DropVoucher), nameof(DropVoucher.Signature)),
        (typeof(Redemption.Redemption), nameof(Redemption.Redemption.BurnSignature)),
    };

    public static IEnumerable<Type> ExportedTypes => Sections.Select(s => s.Entity);

    public async Task<JsonObject> ExportAsync(Member member, CancellationToken ct)
    {
        string[] addresses = new[] { member.WalletAddress, member.CustodialAddress }
            .Where(a => !string.IsNullOrEmpty(a)).Select(a => a!.ToLowerInvariant()).Distinct().ToArray();
        var data = new JsonObject();
        foreach (var section in Sections)
        {
            var rows = await section.Load(new Scope(db, member, addresses), ct);
            var entity = db.Model.FindEntityType(section.Entity)!;
            var json = rows.Select(r => (JsonNode)Row(entity, r)).ToList();
            data[section.Name] = section.Single ? json.FirstOrDefault() : new JsonArray(json.ToArray());
        }
        return new JsonObject
        {
            ["format"] = Format,
            ["exportedAt"] = time.GetUtcNow().UtcDateTime,
            ["programId"] = member.ProgramId.ToString(CultureInfo.InvariantCulture),
            ["memberId"] = member.ExternalId,
            ["notes"] = new JsonArray(
                "64-bit integers (points, amounts, ids) are decimal strings; points are in the token's smallest unit.",
                "Custodial wallets are listed by address only; the service stores no member key (keys derive from an encrypted program seed) and exports none here.",
                "On chain, the member's addresses and the amounts and tokens moved to and from them are public and cannot be erased."),
            ["data"] = data,
        };
    }

    private static JsonObject Row(IEntityType entity, object row)
    {
        var json = new JsonObject();
        foreach (var p in entity.GetProperties())
        {
            if (p.IsShadowProperty() || OmittedColumns.Contains((entity.ClrType, p.Name))) continue;
            var value = p.PropertyInfo is { } pi ? pi.GetValue(row) : p.FieldInfo?.GetValue(row);
            if (value is byte[]) continue;
            json[JsonNamingPolicy.CamelCase.ConvertName(p.Name)] = Value(p.Name, value);
        }
        // Complex properties hold encrypted secrets (EncryptedSecret): never exported, not even as ciphertext.
        return json;
    }

    private static JsonNode? Value(string name, object? value) => value switch
    {
        null => null,
        long or ulong or BigInteger or decimal => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
        int i => JsonValue.Create(i),
        short s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        double d => JsonValue.Create(d),
        string text when name == nameof(WebhookEvent.Payload) => ParseOrText(text),
        string text => JsonValue.Create(text),
        Enum e => JsonValue.Create(e.ToString()),
        DateTime t => JsonValue.Create(t),
        DateTimeOffset t => JsonValue.Create(t),
        DateOnly d => JsonValue.Create(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        TimeSpan t => JsonValue.Create(t.ToString("c", CultureInfo.InvariantCulture)),
        _ => JsonSerializer.SerializeToNode(value, value.GetType(), MemberService.ProfileJson),
    };

    private static JsonNode? ParseOrText(string text)
    {
        try { return JsonNode.Parse(text); }
        catch (JsonException) { return JsonValue.Create(text); }
    }
}
