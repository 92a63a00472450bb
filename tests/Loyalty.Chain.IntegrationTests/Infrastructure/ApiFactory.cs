using System.Collections.Concurrent;
using System.Security.Cryptography;
using Loyalty.Chain.Api.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>
/// The real API host (Hangfire server included) against a real node, with its data folder (SQLite
/// ledger, Hangfire storage, key file) in a temp directory. Every log line is captured so tests can
/// check that no secret is ever written.
/// </summary>
public sealed class ApiFactory : WebApplicationFactory<Program>
{
    private readonly string rpcUrl;
    private readonly IReadOnlyDictionary<string, string>? settings;

    private readonly Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services;

    public ApiFactory(string rpcUrl, IReadOnlyDictionary<string, string>? settings = null,
        Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null, string? dataDirectory = null, string? adminKey = null)
    {
        // A given folder belongs to the caller: a second host started on it after the first stopped (a crash test) keeps it.
        ownsData = dataDirectory is null;
        DataDirectory = dataDirectory ?? Directory.CreateTempSubdirectory("lc-api-").FullName;
        if (adminKey is not null) AdminKey = adminKey;
        this.rpcUrl = rpcUrl;
        this.settings = settings;
        this.services = services;
        _connectionString = new(() => TestDatabase.IsPostgres ? TestDatabase.EnsureDatabase(Path.Combine(DataDirectory, "loyalty.db")) : null);
    }

    public string AdminKey { get; } = "admin-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    public string DataDirectory { get; }
    private readonly bool ownsData;
    public ConcurrentQueue<string> Logs { get; } = new();
    /// <summary>The ledger's PostgreSQL database when the suite runs on PostgreSQL (null on SQLite: the ledger is a file in <see cref="DataDirectory"/>).</summary>
    public string? ConnectionString => _connectionString.Value;
    private readonly Lazy<string?> _connectionString;

    // WebApplicationFactory finds a minimal-hosting app's host by listening to every "Microsoft.Extensions.Hosting"
    // DiagnosticListener in the process: two factories building at the same moment can each capture the other's (or
    // the same) host. Building one host at a time keeps each factory on its own host when test classes run in parallel.
    private static readonly object StartLock = new();

    protected override IHost CreateHost(IHostBuilder builder)
    {
        lock (StartLock) return base.CreateHost(builder);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("Chain:RpcUrl", rpcUrl);
        builder.UseSetting("Chain:ChainId", HardhatNode.ChainId.ToString());
        builder.UseSetting("Chain:ConfirmationDepth", "2");
        builder.UseSetting("Database:DataDirectory", DataDirectory);
        if (TestDatabase.IsPostgres)
        {
            builder.UseSetting("Database:Provider", "PostgreSql");
            builder.UseSetting("Database:ConnectionString", ConnectionString);
        }
        builder.UseSetting("Custody:DataDirectory", DataDirectory);
        builder.UseSetting("Custody:KeystoreScryptN", "4096");
        builder.UseSetting("Jobs:PipelineCron", "* * * * * *");
        builder.UseSetting("Jobs:SettlementCron", "* * * * * *");
        builder.UseSetting("Settlement:MaxIntentAge", "00:10:00");
        builder.UseSetting("Admin:ApiKeySha256", Loyalty.Chain.Access.ApiKeyService.Hash(AdminKey));
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) builder.UseSetting(key, value);
        if (services is not null) builder.ConfigureTestServices(services);
        builder.ConfigureLogging(logging =>
        {
            logging.SetMinimumLevel(LogLevel.Trace);
            logging.AddProvider(new QueueLoggerProvider(Logs));
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (ownsData) try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }

    private sealed class QueueLoggerProvider(ConcurrentQueue<string> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new QueueLogger(sink, categoryName);
        public void Dispose() { }
    }

    private sealed class QueueLogger(ConcurrentQueue<string> sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
