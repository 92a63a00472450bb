using System.Text.Json.Nodes;
using Loyalty.Chain.Bench.Infrastructure;

namespace Loyalty.Chain.Bench.Phases;

public sealed record MemberReadFigures(int Clients, int Members, LoadResult Load);

/// <summary>
/// The read a till or an app makes most: GET …/members/{id} (balance, tier status, points expiring), closed-loop with
/// 64 clients over the settled members, with a shop key. Each answer is checked to carry a balance and a tier status.
/// </summary>
public static class MemberReadPhase
{
    public static async Task<MemberReadFigures> RunAsync(BenchProgram program, int members, BenchSettings s, Action<string> log, CancellationToken ct)
    {
        async Task<Outcome> ReadAsync(long i, CancellationToken token)
        {
            var r = await program.Api.SendAsync(HttpMethod.Get, program.P($"/members/{BenchProgram.MemberId((int)(i % members))}"), program.ShopKey, ct: token);
            if (!r.IsSuccess) return Outcome.Failure(Purchases.Describe(r.Status, r.Text));
            var view = JsonNode.Parse(r.Text)!;
            return view["balance"] is null || view["tierStatus"] is null ? Outcome.Failure("answer without balance or tierStatus") : Outcome.Success;
        }
        await Load.CountAsync(8, 200, (_, i, token) => ReadAsync(i, token), ct); // warm-up, not counted
        log($"read: GET member, {s.MemberReadClients} clients for {s.MemberReadDuration.TotalSeconds:F0} s over {members} members");
        var result = await Load.ForDurationAsync(s.MemberReadClients, s.MemberReadDuration, (client, seq, token) => ReadAsync(client * 7919 + seq, token), ct);
        log($"read: {result.PerSecond:F0}/s, p50 {result.P50Ms:F2} ms, p99 {result.P99Ms:F2} ms, {result.Errors} errors" +
            (result.ErrorSamples.Count > 0 ? ": " + string.Join(" | ", result.ErrorSamples) : ""));
        return new MemberReadFigures(s.MemberReadClients, members, result);
    }
}
