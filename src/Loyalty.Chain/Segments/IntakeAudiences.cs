using Loyalty.Chain.Earning;
using Loyalty.Chain.Programs;

namespace Loyalty.Chain.Segments;

/// <summary>Which of the segments and member-list offers the batch's rules name each member of the batch is in.</summary>
public sealed class AudienceFacts(Dictionary<long, HashSet<long>> segments, Dictionary<long, HashSet<long>> offers)
{
    public IReadOnlySet<long> SegmentsOf(long memberId) => segments.GetValueOrDefault(memberId) ?? [];
    public IReadOnlySet<long> OffersOf(long memberId) => offers.GetValueOrDefault(memberId) ?? [];
}

/// <summary>
/// The intake batch's hook for segment and offer rule conditions: loaded once per batch and program, and no query at all
/// when no active rule of the batch's event types names a segment or an offer.
/// </summary>
public sealed class IntakeAudiences(SegmentService segments, Offers.OfferService offers)
{
    public async Task<AudienceFacts?> LoadAsync(LoyaltyProgram program, IReadOnlyCollection<EarningRule> rules, IReadOnlyCollection<long> memberIds,
        CancellationToken ct)
    {
        var segmentIds = SegmentService.ReferencedBy(rules);
        var offerIds = rules.Select(r => r.Conditions?.OfferId).OfType<long>().Distinct().ToList();
        if ((segmentIds.Count == 0 && offerIds.Count == 0) || memberIds.Count == 0) return null;
        return new AudienceFacts(await segments.MembershipsAsync(program, segmentIds, memberIds, ct), await offers.ListedAsync(offerIds, memberIds, ct));
    }
}
