using System.Text.Json.Nodes;

namespace Loyalty.Chain.Webhooks;

/// <summary>Every event type a webhook can carry, with what it means and an example of its <c>data</c>.</summary>
/// <remarks>Payloads carry ids and amounts (points as decimal strings), never e-mail, phone or secrets.</remarks>
public static class WebhookEventCatalog
{
    public sealed record EventType(string Type, string Description, JsonNode Example);

    private static EventType T(string type, string description, string example) => new(type, description, JsonNode.Parse(example)!);

    public static readonly IReadOnlyList<EventType> All =
    [
        T("member.enrolled", "A member was created (first event, explicit enrolment or referral).", """{"programId":1,"memberId":"cust-42"}"""),
        T("points.earned", "An event earned points (pending until they mature).", """{"programId":1,"memberId":"cust-42","eventId":"pos-1001","points":"120"}"""),
        T("points.available", "Pending points matured and can be spent.", """{"programId":1,"memberId":"cust-42","points":"120"}"""),
        T("points.settled", "Points were minted on chain and the transaction is final.", """{"programId":1,"memberId":"cust-42","points":"120","txHash":"0x5c50…"}"""),
        T("points.clawed_back", "A refund or reversal took points back.", """{"programId":1,"memberId":"cust-42","eventId":"refund-7","points":"50"}"""),
        T("points.adjusted", "An operator credited or debited points by hand.", """{"programId":1,"memberId":"cust-42","adjustmentId":9,"points":"-25","reason":"goodwill"}"""),
        T("points.expiring_soon", "Points will expire within the program's warning window.", """{"programId":1,"memberId":"cust-42","points":"300","expiresAt":"2027-01-31T00:00:00Z"}"""),
        T("points.expired", "Points expired.", """{"programId":1,"memberId":"cust-42","points":"300"}"""),
        T("tier.changed", "A member moved to another tier.", """{"programId":1,"memberId":"cust-42","from":"silver","to":"gold"}"""),
        T("redemption.created", "A member redeemed a reward; the points are reserved.", """{"programId":1,"memberId":"cust-42","redemptionId":17,"rewardId":3,"points":"500"}"""),
        T("redemption.completed", "A redemption's points were burned on chain.", """{"programId":1,"memberId":"cust-42","redemptionId":17,"txHash":"0x9a1e…"}"""),
        T("redemption.cancelled", "A redemption was cancelled and its points returned.", """{"programId":1,"memberId":"cust-42","redemptionId":17,"points":"500"}"""),
        T("coupon.used", "A till accepted a reward's coupon code.", """{"programId":1,"memberId":"cust-42","redemptionId":17,"rewardId":3}"""),
        T("reward.stock_low", "A reward's remaining stock fell to its low-stock mark.", """{"programId":1,"rewardId":3,"remaining":5}"""),
        T("badge.awarded", "A member earned a badge.", """{"programId":1,"memberId":"cust-42","badgeRuleId":2,"dropId":8}"""),
        T("collectible.minted", "A collectible was minted to a member's wallet.", """{"programId":1,"memberId":"cust-42","dropId":8,"tokenId":"12","txHash":"0x11aa…"}"""),
        T("drop.completed", "Every collectible of a drop is minted.", """{"programId":1,"dropId":8,"minted":250}"""),
        T("wallet.linked", "A member linked a self-custody wallet.", """{"programId":1,"memberId":"cust-42","address":"0x8ba1f109551bd432803012645ac136ddd64dba72"}"""),
        T("withdrawal.completed", "Points were transferred from custody to the member's own wallet.", """{"programId":1,"memberId":"cust-42","withdrawalId":4,"points":"1000","txHash":"0x77cc…"}"""),
        T("referral.rewarded", "A referral qualified and its rewards were granted.", """{"programId":1,"memberId":"cust-42","referralId":6,"referredMemberId":"cust-77","points":"200"}"""),
        T("challenge.completed", "A member completed a challenge.", """{"programId":1,"memberId":"cust-42","challengeId":5,"points":"150"}"""),
        T("program.sunsetting", "The program is sunsetting: earning stopped; members redeem until endsAt and can withdraw to their own wallet (operator pays gas).",
            """{"programId":1,"endsAt":"2027-01-31T00:00:00Z","earning":"stopped","redeemUntil":"2027-01-31T00:00:00Z","withdraw":"members can withdraw to their own wallet; gas is paid by the operator"}"""),
        T("program.sunset", "The sunset ended: redemption closed and the final snapshot (balances and collectible owners at one block, Merkle roots) is published.",
            """{"programId":1,"block":123456,"pointsRoot":"0x3f1e…","leafCount":1200,"collectiblesRoot":"0x8b0c…","collectibleCount":250}"""),
        T("chain.alert", "An operational alert was raised for the program (pipeline, node, drift).", """{"programId":1,"code":"JOB_STEP_FAILED","subject":"settlement:program:1","message":"…"}"""),
        T("webhook.endpoint_disabled", "An endpoint of the program was disabled after sustained failure (sent to the other endpoints).", """{"programId":1,"endpointId":2,"reason":"SUSTAINED_FAILURE"}"""),
    ];

    private static readonly HashSet<string> Known = All.Select(t => t.Type).ToHashSet(StringComparer.Ordinal);

    public static bool IsKnown(string type) => Known.Contains(type);
}
