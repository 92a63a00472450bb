namespace Loyalty.Chain.Webhooks;

/// <summary>Exponential backoff with jitter: attempt n waits base·2^(n-1), capped, times a random factor in [0.8, 1.2].</summary>
public static class WebhookBackoff
{
    public static TimeSpan Delay(int attempts, WebhookOptions o, double random)
    {
        if (attempts < 1) attempts = 1;
        var exp = Math.Min(attempts - 1, 30);
        var raw = Math.Min(o.RetryBase.TotalSeconds * Math.Pow(2, exp), o.RetryCap.TotalSeconds);
        return TimeSpan.FromSeconds(raw * (0.8 + 0.4 * Math.Clamp(random, 0, 1)));
    }

    /// <summary>The next attempt time, or null when the retry window since <paramref name="createdAt"/> is spent (the delivery is dead).</summary>
    public static DateTime? Next(DateTime createdAt, DateTime now, int attempts, WebhookOptions o, double random)
    {
        var next = now + Delay(attempts, o, random);
        if (now - createdAt >= o.RetryFor) return null;
        // The last try lands at the end of the window instead of being skipped, so retries span the whole window.
        return next - createdAt > o.RetryFor ? createdAt + o.RetryFor : next;
    }
}
