using Loyalty.Chain.Ledger;
using Loyalty.Chain.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.Alerts;

/// <summary>
/// Raises and resolves the operational alerts an operator reads at <c>GET /v1/admin/alerts</c>. One open alert per
/// (code, subject): raising it again while it is open only refreshes its message. Alerts are written in a scope
/// of their own, so an alert survives the rollback of the work that found the problem.
/// </summary>
public sealed class AlertSink(IServiceScopeFactory scopes, TimeProvider time, ILogger<AlertSink> logger)
{
    public async Task RaiseAsync(string code, string subject, string message, CancellationToken ct = default)
    {
        try
        {
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
            var now = time.GetUtcNow().UtcDateTime;
            await db.InWriteTransactionAsync(async c =>
            {
                var refreshed = await db.Set<Alert>().Where(a => a.Code == code && a.Subject == subject && a.ResolvedAt == null)
                    .ExecuteUpdateAsync(u => u.SetProperty(a => a.Message, message), c);
                if (refreshed > 0) return;
                db.Set<Alert>().Add(new Alert { Code = code, Subject = subject, Message = message, RaisedAt = now });
                // A program's own alert also goes to its webhooks, in the alert's transaction (subjects name it as "program:{id}").
                if (ProgramOf(subject) is { } programId)
                    Webhooks.WebhookOutbox.Enqueue(db, programId, "chain.alert", null, new { programId, code, subject, message });
                await db.SaveChangesAsync(c);
                logger.LogError("Alert {Code} raised for {Subject}: {Message}", code, subject, message);
            }, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // An alert that cannot be stored must not break the job that raised it; the log still says it.
            logger.LogError(ex, "Alert {Code} for {Subject} could not be stored: {Message}", code, subject, message);
        }
    }

    private static readonly System.Text.RegularExpressions.Regex ProgramSubject = new(@"(?:^|:)program:(\d{1,18})(?::|\z)", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    internal static long? ProgramOf(string subject) =>
        ProgramSubject.Match(subject) is { Success: true } m && long.TryParse(m.Groups[1].Value, out var id) ? id : null;

    /// <summary>Marks the open alert of (code, subject) resolved; nothing happens when none is open.</summary>
    /// <remarks>
    /// Healthy passes call this every few seconds: it reads first, so only a subject that really has an open alert
    /// takes the write gate.
    /// </remarks>
    public async Task ResolveAsync(string code, string subject, CancellationToken ct = default)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        if (!await db.Set<Alert>().AnyAsync(a => a.Code == code && a.Subject == subject && a.ResolvedAt == null, ct)) return;
        var now = time.GetUtcNow().UtcDateTime;
        await db.InWriteTransactionAsync(c => db.Set<Alert>().Where(a => a.Code == code && a.Subject == subject && a.ResolvedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(a => a.ResolvedAt, now), c), ct);
    }
}
