namespace Loyalty.Chain.Bench.Infrastructure;

/// <summary>
/// A throw-away PostgreSQL cluster (15 on these machines) in a temp folder owned by the postgres user (initdb, pg_ctl start on
/// 127.0.0.1 and a free port, socket in the folder), stopped with pg_ctl stop -m fast and deleted on dispose.
/// Durability is PostgreSQL's default (fsync and synchronous_commit on), like SQLite's synchronous=FULL.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    public const string Database = "loyalty_bench";
    public const int MaxConnections = 200;

    private readonly string _bin;
    private readonly string _dir;
    private readonly string _logDir;
    private bool _started;

    private PostgresCluster(string bin, string dir, string logDir)
    {
        _bin = bin;
        _dir = dir;
        _logDir = logDir;
    }

    public int Port { get; private set; }
    public string Version { get; private set; } = "";
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database={Database}";
    private string Data => Path.Combine(_dir, "data");

    public static async Task<PostgresCluster> StartAsync(string logDir, Leftovers leftovers, CancellationToken ct)
    {
        // bench.sh sets LC_PG_BIN (scripts/lib/postgres.sh installs the server when it is missing); else the newest installed.
        var bin = Environment.GetEnvironmentVariable("LC_PG_BIN") is { Length: > 0 } set ? set
            : Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                    .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault() ?? ""
                : "";
        if (!File.Exists(Path.Combine(bin, "pg_ctl"))) throw new InvalidOperationException($"PostgreSQL not found in {bin} (set LC_PG_BIN)");
        var dir = Directory.CreateTempSubdirectory("lc-bench-pg-").FullName;
        leftovers.Add("pgdata", dir);
        var cluster = new PostgresCluster(bin, dir, logDir);
        try
        {
            if (IsRoot) await cluster.RunAsync("chown", ["postgres:postgres", dir], asPostgres: false, ct);
            await cluster.RunAsync(Path.Combine(bin, "initdb"), ["-D", cluster.Data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"], true, ct);
            cluster.Port = HardhatNodeServer.FreePort();
            await cluster.RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", cluster.Data, "-l", Path.Combine(dir, "server.log"), "-o",
                $"-p {cluster.Port} -k {dir} -c listen_addresses=127.0.0.1 -c max_connections={MaxConnections}", "-w", "-t", "60", "start"], true, ct);
            cluster._started = true;
            cluster.Version = await cluster.PsqlAsync("postgres", "SHOW server_version", ct);
            await cluster.PsqlAsync("postgres", $"CREATE DATABASE {Database}", ct);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task<string> PsqlAsync(string database, string sql, CancellationToken ct) =>
        await RunAsync(Path.Combine(_bin, "psql"), ["-h", "127.0.0.1", "-p", Port.ToString(), "-U", "postgres", "-d", database,
            "-v", "ON_ERROR_STOP=1", "-tA", "-c", sql], true, ct);

    private async Task<string> RunAsync(string file, string[] args, bool asPostgres, CancellationToken ct)
    {
        var (cmd, argv) = asPostgres && IsRoot ? ("runuser", new[] { "-u", "postgres", "--", file }.Concat(args).ToArray()) : (file, args);
        var (code, output) = await ChildProcess.RunAsync(cmd, argv, _dir, ct);
        if (code != 0) throw new InvalidOperationException($"{Path.GetFileName(file)} failed ({code}): {ApiClient.Shorten(output, 600)}");
        return output;
    }

    private static bool IsRoot => Environment.UserName == "root";

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            try
            {
                await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", Data, "-m", "fast", "-w", "-t", "60", "stop"], true, CancellationToken.None);
            }
            catch (Exception ex)
            {
                Console.Error.WriteLine($"bench: pg_ctl stop failed: {ex.Message}");
            }
            _started = false;
        }
        try
        {
            var log = Path.Combine(_dir, "server.log");
            if (File.Exists(log)) File.Copy(log, Path.Combine(_logDir, "postgresql.log"), overwrite: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
