using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Api.Infrastructure;

/// <summary>Where the built pages are (web/dist of the repository unless configured) and what their CSP may add.</summary>
public sealed class WebOptions
{
    public const string Section = "Web";
    /// <summary>The folder Vite built (web/dist). Empty: found by walking up from the content root and the app folder.</summary>
    public string Root { get; set; } = "";
    /// <summary>Extra origins the pages may connect to (e.g. the node's public RPC URL for the portal's on-chain check).</summary>
    public string[] ConnectSources { get; set; } = [];
    /// <summary>The node's public JSON-RPC URL the portal reads balanceOf from ("verify on chain"); also allowed by the CSP. Empty: no check.</summary>
    public string NodeRpcUrl { get; set; } = "";
    /// <summary>A block explorer's transaction page with "{hash}" in it, for the portal's history links. Empty: the hash alone.</summary>
    public string ExplorerTxUrl { get; set; } = "";
}

/// <summary>What the portal needs to know about the deployment: public by nature (the CSP already names the node).</summary>
public sealed record PortalConfigView(string? NodeRpcUrl, string? ExplorerTxUrl);

/// <summary>
/// The member portal, the brand console and the till: static pages built by Vite from web/, served by this host at
/// /portal, /console and /till with their hashed assets under /assets. They call the same public API as any client.
/// A strict Content-Security-Policy: only this origin's scripts and styles, nothing inline, nothing from elsewhere.
/// </summary>
public static class WebPages
{
    public static readonly string[] Pages = ["portal", "console", "till"];

    public static IServiceCollection AddWebPages(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WebOptions>().Bind(configuration.GetSection(WebOptions.Section));
        return services;
    }

    public static string? FindRoot(IWebHostEnvironment env, WebOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.Root)) return Directory.Exists(options.Root) ? Path.GetFullPath(options.Root) : null;
        foreach (var start in new[] { env.ContentRootPath, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "web", "dist");
                if (File.Exists(Path.Combine(candidate, "portal", "index.html"))) return candidate;
            }
        }
        return null;
    }

    public static string ContentSecurityPolicy(WebOptions options)
    {
        var connect = string.Join(' ', new[] { "'self'" }.Concat(options.ConnectSources.Append(options.NodeRpcUrl)
            .Where(s => Uri.TryCreate(s, UriKind.Absolute, out var u) && u.Scheme is "http" or "https").Distinct()));
        return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; " +
               $"connect-src {connect}; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    }

    public static WebApplication MapWebPages(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<WebOptions>>().Value;
        var root = FindRoot(app.Environment, options);
        var csp = ContentSecurityPolicy(options);
        app.MapGet("/v1/public/portal-config", () => TypedResults.Ok(new PortalConfigView(
                Uri.TryCreate(options.NodeRpcUrl, UriKind.Absolute, out _) ? options.NodeRpcUrl : null,
                options.ExplorerTxUrl.Contains("{hash}", StringComparison.Ordinal) ? options.ExplorerTxUrl : null)))
            .WithTags("Public").RequireRateLimiting(Loyalty.Chain.Api.Features.PartnersApi.PublicPolicy);
        if (root is null)
        {
            app.Logger.LogWarning("Web pages are not built (web/dist missing): run 'npm run build:web'; /portal, /console and /till answer 503");
            foreach (var page in Pages)
                app.MapGet("/" + page + "/{**rest}", IResult () => throw new LoyaltyException("WEB_NOT_BUILT",
                    "the pages are not built: run 'npm run build:web'", StatusCodes.Status503ServiceUnavailable)).ExcludeFromDescription();
            return app;
        }

        var files = new PhysicalFileProvider(root);
        // Hashed file names: cached for a year. The HTML is tiny and always revalidated.
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(Path.Combine(root, "assets")),
            RequestPath = "/assets",
            OnPrepareResponse = ctx =>
            {
                ctx.Context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
                ctx.Context.Response.Headers.ContentSecurityPolicy = csp;
            },
        });
        foreach (var page in Pages)
        {
            var index = files.GetFileInfo(Path.Combine(page, "index.html"));
            if (!index.Exists) continue;
            // Every path under the page is the same single-page app; its router reads the path and the fragment.
            app.MapGet("/" + page + "/{**rest}", async (HttpContext http) =>
            {
                http.Response.Headers.ContentSecurityPolicy = csp;
                http.Response.Headers.CacheControl = "no-cache";
                http.Response.Headers["Cross-Origin-Opener-Policy"] = "same-origin";
                http.Response.Headers["Permissions-Policy"] = "camera=(self), geolocation=(), microphone=(), payment=()";
                http.Response.ContentType = "text/html; charset=utf-8";
                await http.Response.SendFileAsync(index, http.RequestAborted);
            }).ExcludeFromDescription();
        }
        return app;
    }
}
