using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Loyalty.Chain.Tests.Custody;

/// <summary>
/// Keeps every log line, and every structured value and scope beside it, so a test can prove what never
/// reached the logs whichever sink a host would use.
/// </summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> entries = new();

    public string Text => string.Join('\n', entries);
    public int Count => entries.Count;

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, entries);

    public void Dispose() { }

    private sealed class CapturingLogger(string category, ConcurrentQueue<string> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            entries.Enqueue($"scope {category} {Describe(state)}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter) =>
            entries.Enqueue($"{logLevel} {category} {formatter(state, exception)} | {Describe(state)} | {exception}");

        private static string Describe<TState>(TState state) => state is IEnumerable<KeyValuePair<string, object?>> values
            ? string.Join("; ", values.Select(v => $"{v.Key}={Render(v.Value)}"))
            : state?.ToString() ?? "";

        private static string Render(object? value) => value is byte[] bytes ? Convert.ToHexString(bytes) : value?.ToString() ?? "";
    }
}
