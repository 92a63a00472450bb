using Loyalty.Chain.Custody;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loyalty.Chain.Webhooks;

/// <summary>A program's receiver: a URL, the event types it takes (empty = all) and its signing secrets.</summary>
public sealed class WebhookEndpoint
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public required string Url { get; set; }
    /// <summary>Space-separated types; empty means every type.</summary>
    public string EventTypes { get; set; } = "";
    public string? Description { get; set; }
    public bool Enabled { get; set; } = true;
    public string? DisabledReason { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? LastDeliveryAt { get; set; }
    /// <summary>Set at the first failed attempt after a success; cleared by the next success.</summary>
    public DateTime? FailingSince { get; set; }
    public int ConsecutiveDead { get; set; }
    /// <summary>Bumped on every secret rotation; part of each secret's encryption purpose.</summary>
    public int SecretGeneration { get; set; }

    public IReadOnlyList<string> Types => EventTypes.Length == 0 ? [] : EventTypes.Split(' ');
    public bool Subscribes(string type) => EventTypes.Length == 0 || Types.Contains(type);
}

/// <summary>A signing secret of an endpoint, encrypted like custody's keys. A rotated-out one signs until <see cref="ValidUntil"/>.</summary>
public sealed class WebhookSecret
{
    public long Id { get; set; }
    public long EndpointId { get; set; }
    public int Generation { get; set; }
    public required EncryptedSecret Secret { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>Null for the current secret.</summary>
    public DateTime? ValidUntil { get; set; }

    internal static string Purpose(long programId, long endpointId, int generation) =>
        $"webhook-secret:program:{programId}:endpoint:{endpointId}:{generation}";
}

/// <summary>The outbox row: one event, written in the transaction of the change that caused it.</summary>
public sealed class WebhookEvent
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    /// <summary>The Standard Webhooks <c>webhook-id</c>: stable across retries and redeliveries.</summary>
    public required string MessageId { get; set; }
    public required string Type { get; set; }
    public long? MemberId { get; set; }
    /// <summary>The full JSON body sent ({type, timestamp, data}).</summary>
    public required string Payload { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>Set once the dispatcher has written this event's deliveries.</summary>
    public bool FannedOut { get; set; }
}

public enum WebhookDeliveryStatus { Pending, Failed, Delivered, Dead }

/// <summary>One event to one endpoint, with its retry state and the last attempt's outcome.</summary>
public sealed class WebhookDelivery
{
    public long Id { get; set; }
    public long ProgramId { get; set; }
    public long EndpointId { get; set; }
    public long EventId { get; set; }
    public long? MemberId { get; set; }
    public WebhookDeliveryStatus Status { get; set; }
    public int Attempts { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
    public DateTime? NextAttemptAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? DeliveredAt { get; set; }
}

internal sealed class WebhookEndpointConfiguration : IEntityTypeConfiguration<WebhookEndpoint>
{
    public void Configure(EntityTypeBuilder<WebhookEndpoint> b)
    {
        b.ToTable("WebhookEndpoints");
        b.HasKey(x => x.Id);
        b.Property(x => x.Url).HasMaxLength(WebhookUrlGuard.MaxUrlLength);
        b.Property(x => x.EventTypes).HasMaxLength(2048);
        b.Property(x => x.Description).HasMaxLength(256);
        b.Property(x => x.DisabledReason).HasMaxLength(64);
        b.Ignore(x => x.Types);
        b.HasIndex(x => x.ProgramId);
    }
}

internal sealed class WebhookSecretConfiguration : IEntityTypeConfiguration<WebhookSecret>
{
    public void Configure(EntityTypeBuilder<WebhookSecret> b)
    {
        b.ToTable("WebhookSecrets");
        b.HasKey(x => x.Id);
        b.HasEncryptedSecret(x => x.Secret);
        b.HasIndex(x => new { x.EndpointId, x.Generation }).IsUnique();
        b.HasOne<WebhookEndpoint>().WithMany().HasForeignKey(x => x.EndpointId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class WebhookEventConfiguration : IEntityTypeConfiguration<WebhookEvent>
{
    public void Configure(EntityTypeBuilder<WebhookEvent> b)
    {
        b.ToTable("WebhookEvents");
        b.HasKey(x => x.Id);
        b.Property(x => x.MessageId).HasMaxLength(40);
        b.Property(x => x.Type).HasMaxLength(64);
        b.HasIndex(x => x.MessageId).IsUnique();
        b.HasIndex(x => new { x.FannedOut, x.Id });
    }
}

internal sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> b)
    {
        b.ToTable("WebhookDeliveries");
        b.HasKey(x => x.Id);
        b.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        b.Property(x => x.LastError).HasMaxLength(512);
        b.HasIndex(x => new { x.EventId, x.EndpointId }).IsUnique();
        b.HasIndex(x => new { x.Status, x.NextAttemptAt });
        b.HasIndex(x => new { x.EndpointId, x.MemberId, x.Id });
        b.HasOne<WebhookEndpoint>().WithMany().HasForeignKey(x => x.EndpointId).OnDelete(DeleteBehavior.Cascade);
    }
}
