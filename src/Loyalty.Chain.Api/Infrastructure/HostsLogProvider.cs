using System.Collections.Immutable;
using HangfireLog = Hangfire.Logging;

namespace Loyalty.Chain.Api.Infrastructure;

/// <summary>
/// Hangfire's log provider is one process-wide static (<c>LogProvider.SetCurrentLogProvider</c>), and
/// <c>AddHangfire</c> points it at the logger factory of whichever host configured last. With two hosts in one
/// process (the test suite, an embedding), disposing that host disposed the factory every other host's Hangfire logged
/// through: Hangfire.PostgreSql's dequeue asks for a logger on every fetch, threw ObjectDisposedException, and the
/// surviving host's workers sat in their failure back-off (up to 49 s, again and again) while its settlement and webhook
/// passes stopped. Seen in CI on the PostgreSQL pass as "points did not settle" and "webhook received nothing".
/// This provider sends each line to the newest host still running, and never throws: a log line is not worth a worker.
/// </summary>
public sealed class HostsLogProvider : HangfireLog.ILogProvider
{
    public static HostsLogProvider Instance { get; } = new();
    private ImmutableList<ILoggerFactory> _factories = [];

    private HostsLogProvider() { }

    /// <summary>A host's factory, used until <see cref="Remove"/> (called when the host stops).</summary>
    public void Add(ILoggerFactory factory) => ImmutableInterlocked.Update(ref _factories, l => l.Remove(factory).Add(factory));
    public void Remove(ILoggerFactory factory) => ImmutableInterlocked.Update(ref _factories, l => l.Remove(factory));
    public int LiveHosts => _factories.Count;

    public HangfireLog.ILog GetLogger(string name) => new HostLog(this, name);

    private sealed class HostLog(HostsLogProvider provider, string name) : HangfireLog.ILog
    {
        public bool Log(HangfireLog.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            var level = logLevel switch
            {
                HangfireLog.LogLevel.Trace => LogLevel.Trace,
                HangfireLog.LogLevel.Debug => LogLevel.Debug,
                HangfireLog.LogLevel.Info => LogLevel.Information,
                HangfireLog.LogLevel.Warn => LogLevel.Warning,
                HangfireLog.LogLevel.Error => LogLevel.Error,
                _ => LogLevel.Critical,
            };
            var factories = provider._factories;
            for (var i = factories.Count - 1; i >= 0; i--)
            {
                try
                {
                    var logger = factories[i].CreateLogger(name);
                    if (messageFunc is null) return logger.IsEnabled(level);
                    if (!logger.IsEnabled(level)) return false;
                    logger.Log(level, 0, messageFunc(), exception, static (message, _) => message);
                    return true;
                }
                catch (ObjectDisposedException)
                {
                    // That host is gone (its factory disposed before it was removed): try the next one.
                }
            }
            return false;
        }
    }
}
