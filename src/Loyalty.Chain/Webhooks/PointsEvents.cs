using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;

namespace Loyalty.Chain.Webhooks;

/// <summary>Maps ledger postings to points events, and builds member-scoped payloads (the brand's external member id).</summary>
public static class PointsEvents
{
    internal static void OnPosting(LoyaltyDbContext db, long programId, long memberId, EntryKind kind, LedgerAccount from, LedgerAccount to, long amount,
        long? eventId)
    {
        var (type, signed) = kind switch
        {
            EntryKind.Earn => ("points.earned", amount),
            EntryKind.Mature => ("points.available", amount),
            EntryKind.Clawback => ("points.clawed_back", amount),
            EntryKind.Adjustment or EntryKind.Grant => ("points.adjusted", to == LedgerAccount.Issuance ? -amount : amount),
            EntryKind.Deduct => ("points.adjusted", -amount),
            EntryKind.Expire => ("points.expired", amount),
            EntryKind.Referral => ("referral.rewarded", amount),
            EntryKind.Challenge => ("challenge.completed", amount),
            _ => (null, 0L),
        };
        if (type is null) return;
        ForMember(db, programId, memberId, type, external => new
        {
            programId, memberId = external, points = signed.ToString(System.Globalization.CultureInfo.InvariantCulture), eventId,
            status = kind == EntryKind.Earn ? (to == LedgerAccount.Pending ? "pending" : "available") : null,
        });
    }

    /// <summary>Enqueues a member's event with the member's external id, looked up only when an endpoint wants the type.</summary>
    public static void ForMember(LoyaltyDbContext db, long programId, long memberId, string type, Func<string, object> data)
    {
        if (!WebhookOutbox.IsSubscribed(db, programId, type)) return;
        var external = db.Set<Member>().Local.FirstOrDefault(m => m.Id == memberId)?.ExternalId
                       ?? db.Set<Member>().Where(m => m.Id == memberId).Select(m => m.ExternalId).FirstOrDefault() ?? memberId.ToString();
        WebhookOutbox.Enqueue(db, programId, type, memberId, data(external));
    }
}
