using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Loyalty.Chain.Earning;
using Loyalty.Chain.Intake;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// The intake writer as a library, in a plain ServiceCollection (no generic host) on a real SQLite file: it
/// starts with the first event, stops with the provider, never acknowledges an event that did not commit, and
/// one event the database refuses (or whose batch cannot commit) fails alone.
/// </summary>
public sealed class IntakeCommitQueueTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lc-intake-").FullName;
    private ServiceProvider _services = null!;
    private LoyaltyProgram _program = null!;

    private string DatabaseFile => Path.Combine(_folder, "loyalty.db");

    public async Task InitializeAsync()
    {
        _services = Build();
        await _services.InitializeDatabaseAsync();
        await using var scope = _services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        _program = new LoyaltyProgram
        {
            Name = "Queue Coffee", PointName = "Beans", PointSymbol = "BEAN", Currency = "EUR", TimeZone = "UTC", PendingPeriodSeconds = 3600,
            Status = ProgramStatus.Active, CreatedAt = DateTime.UtcNow,
        };
        db.Add(_program);
        await db.SaveChangesAsync();
        var members = Enumerable.Range(0, 20).Select(i => new Member
        {
            ProgramId = _program.Id, ExternalId = $"m-{i}", WalletAddress = $"0x{i + 1:x40}", CreatedAt = DateTime.UtcNow,
        }).ToList();
        db.AddRange(members);
        await db.SaveChangesAsync();
        db.AddRange(members.Select(m => new MemberBalance { MemberId = m.Id, ProgramId = _program.Id }));
        db.Add(new EarningRule
        {
            ProgramId = _program.Id, Name = "1 per euro", Trigger = "purchase", Effect = RuleEffect.PerCurrencyUnit(1), CreatedAt = DateTime.UtcNow,
        });
        await db.SaveChangesAsync();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private ServiceProvider Build()
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddLoyaltyChainCore(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:ConnectionString"] = $"Data Source={DatabaseFile};Default Timeout=30",
            ["Custody:DataDirectory"] = _folder,
        }).Build());
        return services.BuildServiceProvider();
    }

    private static EventRequest Purchase(int member, string eventId, string amount = "10.00") => new()
    {
        Type = "purchase", MemberId = $"m-{member % 20}", EventId = eventId,
        Amount = System.Text.Json.JsonSerializer.SerializeToElement(amount),
    };

    private async Task<IntakeResponse> AcceptAsync(IServiceProvider services, EventRequest request, string? key = null, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<EventIntakeService>().AcceptAsync(_program, request, key, "hash-" + request.EventId, ct);
    }

    private async Task<HashSet<string>> CommittedEventIdsAsync()
    {
        await using var db = new LoyaltyDbContext(new DbContextOptionsBuilder<LoyaltyDbContext>()
            .UseSqlite($"Data Source={DatabaseFile};Pooling=False").Options);
        return [.. await db.Set<LoyaltyEvent>().Select(e => e.ExternalId).ToListAsync()];
    }

    private async Task ExecuteSqlAsync(string sql)
    {
        await using var scope = _services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>().Database.ExecuteSqlRawAsync(sql);
    }

    /// <summary>Fires <paramref name="count"/> purchases at once; the outcome of each, by event id.</summary>
    private async Task<Dictionary<string, Task<IntakeResponse>>> BurstAsync(string prefix, int count, IServiceProvider? services = null)
    {
        var calls = Enumerable.Range(0, count).ToDictionary(i => $"{prefix}-{i}", i => AcceptAsync(services ?? _services, Purchase(i, $"{prefix}-{i}")));
        try { await Task.WhenAll(calls.Values); } catch (Exception) { /* each outcome is looked at by the test */ }
        return calls;
    }

    [Fact]
    public async Task Writer_StartsWithTheFirstEvent_WithoutAHost()
    {
        var first = await AcceptAsync(_services, Purchase(1, "first"), "key-first");

        Assert.Equal("10", first.Points);
        Assert.Equal("pending", first.Status);
        Assert.Contains("first", await CommittedEventIdsAsync());
    }

    [Fact]
    public async Task DisposingTheProvider_MidBurst_AcknowledgesOnlyEventsThatCommitted()
    {
        var services = Build();
        await AcceptAsync(services, Purchase(0, "warm"));
        var burst = Enumerable.Range(0, 300).ToDictionary(i => $"stop-{i}", i => Task.Run(() => AcceptAsync(services, Purchase(i, $"stop-{i}"))));
        await Task.Delay(50);
        await services.DisposeAsync();
        try { await Task.WhenAll(burst.Values).WaitAsync(TimeSpan.FromSeconds(30)); } catch (Exception e) when (e is not TimeoutException) { }

        var committed = await CommittedEventIdsAsync();
        Assert.All(burst.Values, t => Assert.True(t.IsCompleted, "a caller was left waiting after the provider was disposed"));
        foreach (var (eventId, call) in burst)
        {
            if (call.IsCompletedSuccessfully) Assert.Contains(eventId, committed);
            else Assert.DoesNotContain(eventId, committed);
        }
        Assert.Contains(burst.Values, t => !t.IsCompletedSuccessfully);
        await Assert.ThrowsAnyAsync<ObjectDisposedException>(() => AcceptAsync(services, Purchase(1, "after-stop")));
    }

    [Fact]
    public async Task CancelledCallers_AreNotWritten_AndDoNotStallTheWriter()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AcceptAsync(_services, Purchase(1, "cancelled"), ct: cancelled.Token));

        // Callers that give up while their events wait: the writer goes on with everyone else.
        using var impatient = new CancellationTokenSource(TimeSpan.FromMilliseconds(2));
        var givingUp = Enumerable.Range(0, 100).Select(i => AcceptAsync(_services, Purchase(i, $"impatient-{i}"), ct: impatient.Token)).ToList();
        try { await Task.WhenAll(givingUp); } catch (OperationCanceledException) { }
        var after = await AcceptAsync(_services, Purchase(2, "after-cancel")).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("10", after.Points);
        var committed = await CommittedEventIdsAsync();
        Assert.DoesNotContain("cancelled", committed);
        Assert.Contains("after-cancel", committed);
    }

    [Fact]
    public async Task AnEventTheDatabaseKeepsRefusing_FailsAlone_AndTheRestOfItsBatchCommits()
    {
        // A real constraint of the database, not a stand-in: this one event id can never be inserted.
        await ExecuteSqlAsync("""
            CREATE TRIGGER refuse_poison BEFORE INSERT ON Events WHEN NEW.ExternalId = 'poison-7'
            BEGIN SELECT RAISE(ABORT, 'poisoned event'); END;
            """);
        using var sizes = new BatchSizes();

        var burst = await BurstAsync("poison", 60);

        Assert.IsAssignableFrom<DbUpdateException>(burst["poison-7"].Exception!.InnerException);
        Assert.All(burst.Where(x => x.Key != "poison-7"), x => Assert.True(x.Value.IsCompletedSuccessfully, x.Key));
        var committed = await CommittedEventIdsAsync();
        Assert.Equal(59, committed.Count(id => id.StartsWith("poison-")));
        Assert.DoesNotContain("poison-7", committed);
        Assert.True(sizes.Largest > 1, "the burst was never written as a batch");
    }

    [Fact]
    public async Task ABatchWhoseCommitFails_AcknowledgesNobody_AndIsWrittenAgainEventByEvent()
    {
        // A deferred foreign key is checked only at COMMIT: the batch holding this event cannot commit.
        await ExecuteSqlAsync("""
            CREATE TABLE CommitGuard (Id INTEGER PRIMARY KEY, EventRef INTEGER REFERENCES Events(Id) DEFERRABLE INITIALLY DEFERRED);
            CREATE TRIGGER fail_commit AFTER INSERT ON Events WHEN NEW.ExternalId = 'commit-5'
            BEGIN INSERT INTO CommitGuard (EventRef) VALUES (-1); END;
            """);
        using var sizes = new BatchSizes();

        var burst = await BurstAsync("commit", 60);

        Assert.False(burst["commit-5"].IsCompletedSuccessfully);
        Assert.All(burst.Where(x => x.Key != "commit-5"), x => Assert.True(x.Value.IsCompletedSuccessfully, x.Key));
        var committed = await CommittedEventIdsAsync();
        Assert.DoesNotContain("commit-5", committed);
        Assert.Equal(59, committed.Count(id => id.StartsWith("commit-")));
        // Its batch-mates were each written again in a transaction of their own.
        Assert.Contains(1, sizes.All);
        Assert.True(sizes.Largest > 1, "the burst was never written as a batch");
    }

    /// <summary>The sizes of the intake batches written while it listens (the writer's own metric).</summary>
    internal sealed class BatchSizes : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentBag<int> _sizes = [];

        public BatchSizes()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Loyalty.Chain.Intake" && instrument.Name == "intake.batch.size") listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<int>((_, size, _, _) => _sizes.Add(size));
            _listener.Start();
        }

        public IReadOnlyCollection<int> All => _sizes;
        public int Largest => _sizes.DefaultIfEmpty(0).Max();

        public void Dispose() => _listener.Dispose();
    }
}
