using System.Globalization;
using System.Text.Json.Nodes;
using Loyalty.Chain.Bench.Infrastructure;

namespace Loyalty.Chain.Bench.Phases;

/// <summary>A purchase event as a shop sends it: amount 1.00..60.99 EUR, one line, every third one coffee.</summary>
public static class Purchases
{
    public static byte[] Body(string memberId, string eventId, long seq)
    {
        var minor = 100 + seq * 7919 % 6000;
        var amount = (minor / 100).ToString(CultureInfo.InvariantCulture) + "." + (minor % 100).ToString("D2", CultureInfo.InvariantCulture);
        var category = seq % 3 == 0 ? "coffee" : "bakery";
        return ApiClient.Utf8(
            $$"""{"type":"purchase","memberId":"{{memberId}}","eventId":"{{eventId}}","amount":"{{amount}}","currency":"EUR","lines":[{"sku":"sku-{{seq % 50}}","category":"{{category}}","amount":"{{amount}}","quantity":1}]}""");
    }

    /// <summary>The error code of a problem-details answer, else the status alone: samples group by it.</summary>
    public static string Describe(int status, string? body)
    {
        try
        {
            if (body is not null && JsonNode.Parse(body)?["code"] is { } code) return $"{status} {code.GetValue<string>()}";
        }
        catch (System.Text.Json.JsonException) { }
        return $"{status} {ApiClient.Shorten(body, 120)}";
    }
}

public sealed record IntakeFigures(LoadResult Load, int Members, int Clients, double DurationSeconds, double EnrolSeconds);

/// <summary>
/// Purchase events through the HTTP API for a fixed time with N concurrent closed-loop clients, each request with
/// its own Idempotency-Key, for members enrolled beforehand, with the earning rules on. Only 2xx answers count.
/// </summary>
public static class IntakePhase
{
    public static async Task<IntakeFigures> RunAsync(ApiClient api, string rootKey, string label, BenchSettings s, Action<string> log,
        CancellationToken ct)
    {
        // A real return window (14 days): the events stay pending and nothing settles behind the measurement.
        var program = await BenchProgram.CreateAsync(api, rootKey, $"Bench intake {label}", 1_209_600, ct);
        log($"intake {label}: program #{program.Id} active; enrolling {s.IntakeMembers} members");
        var enrol = await program.EnrolAsync(s.IntakeMembers, s.EnrolClients, log, ct);
        log($"intake {label}: {s.IntakeMembers} members in {enrol:F1} s; warming up");
        var tag = Guid.NewGuid().ToString("N")[..8];
        var path = program.P("/events");

        Func<int, long, CancellationToken, Task<Outcome>> Purchase(string phase) => async (client, seq, token) =>
        {
            var eventId = $"{phase}-{tag}-{client}-{seq}";
            var member = BenchProgram.MemberId((int)((client * 1_000_003L + seq * 7_919L) % s.IntakeMembers));
            var (status, body) = await api.PostRawAsync(path, program.ShopKey, Purchases.Body(member, eventId, seq), "idem-" + eventId, false, token);
            return status is >= 200 and < 300 ? Outcome.Success : Outcome.Failure(Purchases.Describe(status, body));
        };

        // Not measured: JIT, connection pools and the first pages of the tables.
        await Load.CountAsync(8, 200, Purchase("w"), ct);
        log($"intake {label}: {s.IntakeClients} clients for {s.IntakeDuration.TotalSeconds:F0} s");
        var result = await Load.ForDurationAsync(s.IntakeClients, s.IntakeDuration, Purchase("e"), ct);
        log($"intake {label}: {result.Ok} ok, {result.Errors} errors in {result.Seconds:F1} s = {result.PerSecond:F1}/s, " +
            $"p50 {result.P50Ms:F1} ms, p99 {result.P99Ms:F1} ms{(result.ErrorSamples.Count > 0 ? "; errors: " + string.Join(" | ", result.ErrorSamples) : "")}");
        return new IntakeFigures(result, s.IntakeMembers, s.IntakeClients, s.IntakeDuration.TotalSeconds, enrol);
    }
}
