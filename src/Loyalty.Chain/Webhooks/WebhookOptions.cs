namespace Loyalty.Chain.Webhooks;

/// <summary>Webhook delivery settings (section "Webhooks"). The thresholds are settings so tests can run them in seconds.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";
    /// <summary>Development only: lets http://127.0.0.1 / ::1 / localhost endpoints through the SSRF guard.</summary>
    public bool AllowLoopbackHttp { get; set; }
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);
    public int MaxResponseBytes { get; set; } = 4096;
    /// <summary>First retry delay; doubled per attempt up to <see cref="RetryCap"/>, with jitter.</summary>
    public TimeSpan RetryBase { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan RetryCap { get; set; } = TimeSpan.FromHours(2);
    /// <summary>A delivery is retried at least this long after its event before it is dead.</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(25);
    /// <summary>An endpoint failing without a success for this long is disabled.</summary>
    public TimeSpan DisableAfterFailingFor { get; set; } = TimeSpan.FromHours(24);
    /// <summary>An endpoint with this many dead deliveries in a row is disabled.</summary>
    public int DisableAfterConsecutiveDead { get; set; } = 10;
    /// <summary>How long a rotated-out secret keeps signing.</summary>
    public TimeSpan PreviousSecretOverlap { get; set; } = TimeSpan.FromHours(24);
    /// <summary>How long a program's subscription set is cached by <see cref="WebhookOutbox.Enqueue"/>.</summary>
    public TimeSpan SubscriptionCacheFor { get; set; } = TimeSpan.FromSeconds(5);
    public int BatchSize { get; set; } = 200;
    /// <summary>Deliveries sent at once per pass (all endpoints).</summary>
    public int Parallelism { get; set; } = 8;
    /// <summary>How long one pass keeps sending while any program has work (each round visits every program with work once).</summary>
    public TimeSpan PassBudget { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>
    /// After a pass caught up (every program), how long it keeps looking (every <see cref="LingerPoll"/>) for events committed since,
    /// instead of leaving them to the next pass (up to a <c>Jobs:WebhooksCron</c> tick later). Zero: stop when caught up.
    /// </summary>
    public TimeSpan Linger { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan LingerPoll { get; set; } = TimeSpan.FromMilliseconds(100);
}
