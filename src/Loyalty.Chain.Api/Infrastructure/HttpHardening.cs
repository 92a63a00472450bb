namespace Loyalty.Chain.Api.Infrastructure;

/// <summary>
/// What every answer carries, whichever part of the pipeline wrote it: security headers, no caching of
/// authenticated answers, and a problem-details `code` on every error (including the bare ones routing and
/// handlers produce: unknown path, wrong method, wrong content type, TypedResults.NotFound()).
/// </summary>
public static class HttpHardening
{
    /// <summary>The stable code of an error that carries none of its own, by status.</summary>
    public static string CodeFor(int status) => status switch
    {
        400 => "BAD_REQUEST",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        406 => "NOT_ACCEPTABLE",
        408 => "REQUEST_TIMEOUT",
        409 => "CONFLICT",
        411 => "LENGTH_REQUIRED",
        413 => "BODY_TOO_LARGE",
        414 => "URI_TOO_LONG",
        415 => "UNSUPPORTED_MEDIA_TYPE",
        422 => "UNPROCESSABLE",
        429 => "RATE_LIMITED",
        431 => "HEADERS_TOO_LARGE",
        >= 500 => "INTERNAL_ERROR",
        _ => $"HTTP_{status}",
    };

    /// <summary>Problem details written anywhere (status code pages, TypedResults.Problem, the exception handler) get a code.</summary>
    public static IServiceCollection AddCodedProblemDetails(this IServiceCollection services) =>
        services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            var details = context.ProblemDetails;
            var status = details.Status ?? context.HttpContext.Response.StatusCode;
            if (!details.Extensions.ContainsKey("code"))
            {
                var code = CodeFor(status);
                details.Extensions["code"] = code;
                details.Type = $"https://loyalty.chain/problems/{code.ToLowerInvariant().Replace('_', '-')}";
            }
        });

    /// <summary>
    /// nosniff, no framing and no referrer on every answer (JSON, the docs page, the dashboard). Authenticated
    /// answers (keys, exports, member tokens, member views) are never stored by a browser or a shared cache.
    /// </summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((http, next) =>
        {
            http.Response.OnStarting(() =>
            {
                var headers = http.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                if (!headers.ContainsKey("Content-Security-Policy")) headers.ContentSecurityPolicy = "frame-ancestors 'none'";
                headers["Referrer-Policy"] = "no-referrer";
                if (IsPrivate(http.Request.Path)) headers.CacheControl = "no-store";
                return Task.CompletedTask;
            });
            return next(http);
        });

    private static bool IsPrivate(PathString path) =>
        path.StartsWithSegments("/v1/programs") || path.StartsWithSegments("/v1/admin") || path.StartsWithSegments("/hangfire");

    /// <summary>Bare error statuses (routing's 404 and 405, a handler's empty NotFound) become coded problem details.</summary>
    public static IApplicationBuilder UseCodedStatusCodePages(this IApplicationBuilder app) =>
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            var status = http.Response.StatusCode;
            var written = await http.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = { Status = status, Title = CodeFor(status) },
            });
            // A client that accepts no JSON still gets the code rather than an empty body.
            if (!written)
            {
                http.Response.ContentType = "application/problem+json";
                await http.Response.WriteAsJsonAsync(new { status, title = CodeFor(status), code = CodeFor(status) });
            }
        });
}
