using Loyalty.Chain.Custody;
using Microsoft.AspNetCore.Diagnostics;

namespace Loyalty.Chain.Api.Infrastructure;

/// <summary>The one exception handler: known errors become problem details with a stable `code`; the rest a bare 500.</summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        var (status, code, detail) = exception switch
        {
            LoyaltyException l => (l.Status, l.Code, l.Message),
            System.Text.Json.JsonException or Microsoft.AspNetCore.Http.BadHttpRequestException { StatusCode: 400 }
                => (StatusCodes.Status400BadRequest, "MALFORMED_JSON", "The request body is not valid JSON for this endpoint."),
            CustodyException c => (c.Code.EndsWith("NOT_FOUND") ? 404 : c.Code is "SIWE_NONCE_REUSED" or "CUSTODY_SERVICE_KEY_CONFLICT" ? 409
                : c.Code.StartsWith("SIWE_") ? 401 : c.Code is "CUSTODY_KEK_MISMATCH" or "CUSTODY_DECRYPTION_FAILED" or "CUSTODY_KEY_FILE_INSECURE" ? 500 : 400,
                c.Code, c.Code.StartsWith("CUSTODY_") && !c.Code.EndsWith("NOT_FOUND") ? "A custody error occurred." : c.Message),
            BadHttpRequestException b => (b.StatusCode, HttpHardening.CodeFor(b.StatusCode), b.StatusCode == 415
                ? "The request body must be JSON (Content-Type: application/json)." : "The request could not be read."),
            _ => (StatusCodes.Status500InternalServerError, "INTERNAL_ERROR", "An unexpected error occurred."),
        };
        if (status >= 500) logger.LogError(exception, "Unhandled error on {Path}", http.Request.Path);
        http.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails =
            {
                Status = status,
                Title = code,
                Detail = detail,
                Type = $"https://loyalty.chain/problems/{code.ToLowerInvariant().Replace('_', '-')}",
                Extensions = { ["code"] = code },
            },
        });
    }
}
