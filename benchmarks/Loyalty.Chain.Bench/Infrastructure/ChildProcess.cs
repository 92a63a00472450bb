using System.Diagnostics;

namespace Loyalty.Chain.Bench.Infrastructure;

/// <summary>
/// Everything the bench started that must not outlive it, written to a file as it starts, so scripts/bench.sh can
/// still stop it when the bench itself is killed without a chance to clean up (SIGKILL, a crash).
/// Lines: "pid N" or "pgdata DIR".
/// </summary>
public sealed class Leftovers(string path)
{
    private readonly Lock _lock = new();

    public void Add(string kind, string value)
    {
        lock (_lock) File.AppendAllText(path, $"{kind} {value}\n");
    }
}

/// <summary>
/// A server process started by the bench: its output goes to a log file (lines a filter drops never reach it), and
/// disposing kills it with its whole process tree.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Func<string, bool> _keep;
    private readonly Lock _lock = new();

    private ChildProcess(string name, Process process, StreamWriter log, string logPath, Func<string, bool> keep)
    {
        Name = name;
        _process = process;
        _log = log;
        LogPath = logPath;
        _keep = keep;
    }

    private const string Setsid = "/usr/bin/setsid";

    public string Name { get; }
    public string LogPath { get; }
    public bool HasExited => _process.HasExited;
    public int Id => _process.Id;

    public static ChildProcess Start(string name, string file, IEnumerable<string> args, string workingDirectory,
        IReadOnlyDictionary<string, string> environment, string logPath, Leftovers leftovers, Func<string, bool>? keepLine = null)
    {
        // In a session of its own (setsid execs in place: the pid stays the server's), so a Ctrl-C at the terminal
        // reaches the bench, which then stops the servers in order, instead of killing them under a running phase.
        var psi = new ProcessStartInfo(File.Exists(Setsid) ? Setsid : file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (File.Exists(Setsid)) psi.ArgumentList.Add(file);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {name} ({file})");
        leftovers.Add("pid", process.Id.ToString());
        var child = new ChildProcess(name, process, log, logPath, keepLine ?? (_ => true));
        process.OutputDataReceived += (_, e) => child.Write(e.Data);
        process.ErrorDataReceived += (_, e) => child.Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void Write(string? line)
    {
        if (line is null || !_keep(line)) return;
        lock (_lock)
        {
            try { _log.WriteLine(line); }
            catch (ObjectDisposedException) { }
        }
    }

    /// <summary>The last lines of the log, to explain a failed start.</summary>
    public string Tail(int lines = 25)
    {
        lock (_lock)
        {
            try
            {
                using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                using var reader = new StreamReader(stream);
                var all = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
                return string.Join('\n', all.TakeLast(lines));
            }
            catch (IOException) { return ""; }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            }
        }
        catch (InvalidOperationException) { }
        catch (TimeoutException) { }
        lock (_lock) _log.Dispose();
        _process.Dispose();
    }

    /// <summary>Runs a short command to completion and returns its exit code and combined output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> args, string? workingDirectory,
        CancellationToken ct, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
        return (process.ExitCode, (await stdout + await stderr).Trim());
    }
}
