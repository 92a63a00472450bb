using System.Collections.Concurrent;
using System.Data.Common;
using Loyalty.Chain.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests.Infrastructure;

/// <summary>
/// Counts the SQL commands (database round trips) one request runs, in the real host on the real database: a request that
/// carries <see cref="Header"/> has every command its contexts execute recorded under that header's value. Background
/// jobs of the same host run outside the request and are not counted. A figure that does not depend on the machine's load.
/// </summary>
public sealed class SqlStatementCounter
{
    public const string Header = "X-Test-Count-Sql";
    private static readonly AsyncLocal<ConcurrentQueue<string>?> Current = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> byRequest = new();

    /// <summary>For <c>ConfigureTestServices</c>: the interceptor on both providers' contexts and the middleware.</summary>
    public void Register(IServiceCollection services)
    {
        services.ConfigureDbContext<SqliteLoyaltyDbContext>(o => o.AddInterceptors(new Interceptor()));
        services.ConfigureDbContext<PostgresLoyaltyDbContext>(o => o.AddInterceptors(new Interceptor()));
        services.AddSingleton<IStartupFilter>(new Filter(this));
    }

    /// <summary>The commands of the request sent with <c>X-Test-Count-Sql: id</c> (empty when none ran).</summary>
    public IReadOnlyList<string> Commands(string id) => byRequest.TryGetValue(id, out var q) ? q.ToList() : [];

    private sealed class Filter(SqlStatementCounter counter) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (HttpContext http, RequestDelegate rest) =>
            {
                if (http.Request.Headers[Header].FirstOrDefault() is { Length: > 0 } id)
                    Current.Value = counter.byRequest.GetOrAdd(id, _ => new ConcurrentQueue<string>());
                try { await rest(http); }
                finally { Current.Value = null; }
            });
            next(app);
        };
    }

    private sealed class Interceptor : DbCommandInterceptor
    {
        private static void Record(DbCommand command) => Current.Value?.Enqueue(command.CommandText);

        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            Record(command);
            return result;
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Record(command);
            return ValueTask.FromResult(result);
        }

        public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
        {
            Record(command);
            return result;
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Record(command);
            return ValueTask.FromResult(result);
        }

        public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
        {
            Record(command);
            return result;
        }

        public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<object> result, CancellationToken cancellationToken = default)
        {
            Record(command);
            return ValueTask.FromResult(result);
        }
    }
}
