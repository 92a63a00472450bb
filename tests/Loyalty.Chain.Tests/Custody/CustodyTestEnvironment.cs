using System.Security.Cryptography;
using Loyalty.Chain.Custody;
using Loyalty.Chain.Ledger;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace Loyalty.Chain.Tests.Custody;

/// <summary>A real SQLite file and a key file in a temp folder, with services wired as the host wires them.</summary>
internal sealed class CustodyTestEnvironment : IDisposable
{
    private readonly List<LoyaltyDbContext> contexts = [];
    private readonly ILoggerFactory loggerFactory;

    public CustodyTestEnvironment(ILoggerFactory? loggerFactory = null)
    {
        this.loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        Folder = Directory.CreateTempSubdirectory("custody-tests-").FullName;
        DatabasePath = Path.Combine(Folder, "loyalty.db");
        // Light scrypt so exports take milliseconds; production keeps geth's standard cost.
        Settings = new CustodyOptions { DataDirectory = Folder, KeystoreScryptN = 4096 };
        try
        {
            Kek = new LocalKeyEncryptionKey(MsOptions.Create(Settings));
            using var db = NewContext();
            db.Database.EnsureCreated();
        }
        catch
        {
            // xunit never disposes a test class whose constructor threw: clean up here instead.
            Dispose();
            throw;
        }
    }

    public string Folder { get; }
    public string DatabasePath { get; }
    public CustodyOptions Settings { get; }
    public LocalKeyEncryptionKey Kek { get; }
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public LoyaltyDbContext NewContext()
    {
        var builder = new DbContextOptionsBuilder<LoyaltyDbContext>().UseSqlite("Data Source=" + DatabasePath);
        if (loggerFactory != NullLoggerFactory.Instance)
            builder.UseLoggerFactory(loggerFactory).EnableSensitiveDataLogging();
        var db = new LoyaltyDbContext(builder.Options);
        contexts.Add(db);
        return db;
    }

    public CustodyService NewCustodyService(LoyaltyDbContext? db = null, IKeyEncryptionKey? kek = null) =>
        new(db ?? NewContext(), kek ?? Kek, Time, loggerFactory.CreateLogger<CustodyService>(), MsOptions.Create(Settings));

    public WalletLinkService NewWalletLinkService(LoyaltyDbContext? db = null) =>
        new(db ?? NewContext(), Time, MsOptions.Create(Settings), loggerFactory.CreateLogger<WalletLinkService>());

    /// <summary>Closes every connection so SQLite checkpoints the WAL into the database file.</summary>
    public void CloseConnections()
    {
        foreach (var db in contexts) db.Dispose();
        contexts.Clear();
        SqliteConnection.ClearAllPools();
    }

    public void Dispose()
    {
        CloseConnections();
        Kek?.Dispose();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }

    public static LocalKeyEncryptionKey NewKek() => new(MsOptions.Create(new CustodyOptions
    {
        KeyEncryptionKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
    }));
}
