using Loyalty.Chain.IntegrationTests.Infrastructure;
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
[Collection(SerialCollection.Name)]
public sealed class IntakeCommitQueueTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lc-intake-").FullName;
    private readonly ConcurrentQueue<string> _warnings = new();
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
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning).AddProvider(new WarningSink(_warnings)));
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
        return await scope.ServiceProvider.GetRequiredService<EventIntakeService>().AcceptAsync(_program, request,
            key is null ? null : new Loyalty.Chain.Idempotency.IdempotencyRequest(_program.Id, EventIntakeService.IdempotencyScope, key, "hash-" + request.EventId), ct);
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
    public async Task DisposingTheProvider_WhileABatchWaits_AcknowledgesOnlyEventsThatCommitted()
    {
        var services = Build();
        var before = await BurstAsync("before-stop", 40, services);
        // The writer is held at the write gate with a batch in hand when the provider goes away.
        Dictionary<string, Task<IntakeResponse>> stopped;
        await using (var scope = services.CreateAsyncScope())
        {
            var held = await scope.ServiceProvider.GetRequiredService<SqliteWriteGate>()
                .EnterAsync(scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>(), default);
            var queued = BurstAsync("stop", 100, services);
            await Task.Delay(500);
            await services.DisposeAsync();
            held.Dispose();
            stopped = await queued.WaitAsync(TimeSpan.FromSeconds(30));
        }

        var committed = await CommittedEventIdsAsync();
        Assert.All(before, x => Assert.True(x.Value.IsCompletedSuccessfully && committed.Contains(x.Key), x.Key));
        Assert.All(stopped, x =>
        {
            Assert.True(x.Value.IsCompleted, "a caller was left waiting after the provider was disposed");
            Assert.False(x.Value.IsCompletedSuccessfully, x.Key);
            Assert.DoesNotContain(x.Key, committed);
        });
        Assert.Contains(stopped.Values, t => t.Exception?.InnerException is ObjectDisposedException);
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
        // The writer is held at the write gate with one event, so the whole burst queues behind it and is one batch.
        Dictionary<string, Task<IntakeResponse>> burst;
        await using (var scope = _services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
            var held = await scope.ServiceProvider.GetRequiredService<SqliteWriteGate>().EnterAsync(db, default);
            var first = AcceptAsync(_services, Purchase(0, "warm-first"));
            await Task.Delay(300);
            var queued = BurstAsync("commit", 60);
            await Task.Delay(1000);
            held.Dispose();
            burst = await queued;
            await first;
        }

        Assert.False(burst["commit-5"].IsCompletedSuccessfully);
        Assert.All(burst.Where(x => x.Key != "commit-5"), x => Assert.True(x.Value.IsCompletedSuccessfully, x.Key));
        var committed = await CommittedEventIdsAsync();
        Assert.DoesNotContain("commit-5", committed);
        Assert.Equal(59, committed.Count(id => id.StartsWith("commit-")));
        // The batch that could not commit held others too: they were answered only after being written again.
        Assert.Contains(_warnings, w => w.Contains("failed as a whole"));
    }

    private sealed class WarningSink(ConcurrentQueue<string> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(sink);
        public void Dispose() { }

        private sealed class Logger(ConcurrentQueue<string> sink) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel)) sink.Enqueue(formatter(state, exception));
            }
        }
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
                if (instrument.Meter.Name == "Loyalty.Chain" && instrument.Name == "loyalty.intake.batch.size") listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<int>((_, size, _, _) => _sizes.Add(size));
            _listener.Start();
        }

        public IReadOnlyCollection<int> All => _sizes;
        public int Largest => _sizes.DefaultIfEmpty(0).Max();

        public void Dispose() => _listener.Dispose();
    }
}
