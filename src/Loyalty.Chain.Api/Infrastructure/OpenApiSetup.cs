using System.Text.Json.Nodes;
using Loyalty.Chain.Access;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Loyalty.Chain.Api.Infrastructure;

/// <summary>Who may call an endpoint, as metadata the OpenAPI document reads (set by RequireRoot / RequireProgramRole).</summary>
public sealed record ApiAuthMetadata(bool RootOnly, IReadOnlyCollection<ApiRole> Roles);

/// <summary>
/// The OpenAPI document a newcomer starts from: a getting-started description, the two security schemes (X-Api-Key and the
/// member bearer token) applied to each operation as its roles allow, and examples on the main requests. The docs page
/// (Scalar at /docs) serves its script from this host and has its hosted-service features turned off, so it works offline.
/// </summary>
public static class OpenApiSetup
{
    public const string ApiKeyScheme = "ApiKey", MemberBearerScheme = "MemberBearer";

    public const string Description = """
        Loyalty.Chain runs a brand's loyalty program on a blockchain: points are an ERC-20 token, collectibles and badges
        ERC-721 tokens, and an off-chain ledger answers at once while settlement to the chain runs in batches.

        ## Getting started
        1. **Create a program** with the deployment admin key (printed by `scripts/run.sh`, kept in `.run/root-admin.key`):
           `POST /v1/programs` with header `X-Api-Key: <root key>` and a body such as
           `{"name":"Acme Coffee","pointName":"Beans","pointSymbol":"BEAN","decimals":0,"currency":"EUR"}`.
           The answer holds the program's `adminKey` (shown once). Its contracts deploy through the pipeline; wait until
           `GET /v1/programs/{programId}` says `"status":"Active"`.
        2. **Add an earning rule**: `POST /v1/programs/{programId}/rules` (admin key), e.g. 1 point per euro.
        3. **Create a shop key** for the till: `POST /v1/programs/{programId}/api-keys` with `{"role":"shop"}`.
        4. **Enrol a member**: `POST /v1/programs/{programId}/members` with `{"externalId":"cust-42"}` (admin or shop key).
        5. **Post an event**: `POST /v1/programs/{programId}/events` with the shop key and an `Idempotency-Key` header,
           e.g. `{"type":"purchase","memberId":"cust-42","eventId":"order-1001","amount":"49.90","currency":"EUR"}`.
        6. **Read the member**: `GET /v1/programs/{programId}/members/cust-42` (balances are decimal strings).

        Members' own apps call member routes with `Authorization: Bearer mt_...`, a token issued by
        `POST /v1/programs/{programId}/members/{memberId}/tokens`.
        Every mutating call takes an `Idempotency-Key` header (the first answer is replayed; the same key with another
        body is 422). Errors are RFC 9457 problem details with a stable `code`; a refused request changes nothing.
        Operations: `GET /health/live`, `GET /health/ready`, `GET /metrics` (admin key).
        """;

    private static readonly Dictionary<string, string> Examples = new()
    {
        ["POST v1/programs"] = """{"name":"Acme Coffee","pointName":"Beans","pointSymbol":"BEAN","decimals":0,"currency":"EUR","pendingPeriodSeconds":1209600,"timeZone":"Europe/Paris"}""",
        ["POST v1/programs/{programId}/members"] = """{"externalId":"cust-42","email":"a@example.com"}""",
        ["POST v1/programs/{programId}/events"] = """{"type":"purchase","memberId":"cust-42","eventId":"order-1001","amount":"49.90","currency":"EUR","lines":[{"sku":"beans-1kg","category":"coffee","amount":"49.90","quantity":1}]}""",
        ["POST v1/programs/{programId}/members/{memberId}/redemptions"] = """{"rewardId":1}""",
        ["POST v1/programs/{programId}/rules"] = """{"name":"1 bean per euro","trigger":"purchase","effect":{"kind":"PerCurrencyUnit","points":1,"perMinorUnits":100,"rounding":"Floor"}}""",
        ["POST v1/programs/{programId}/api-keys"] = """{"role":"shop","name":"till 1"}""",
    };

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Loyalty.Chain API";
            document.Info.Description = Description;
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[ApiKeyScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = "X-Api-Key",
                Description = "The deployment admin key (root), or a program key of role admin, shop or partner.",
            };
            document.Components.SecuritySchemes[MemberBearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "mt_...",
                Description = "A member token (prefix mt_) for the member's own routes.",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var description = context.Description;
            var metadata = description.ActionDescriptor.EndpointMetadata.OfType<ApiAuthMetadata>().LastOrDefault();
            // "v1/programs/{programId:long}/events/" -> "v1/programs/{programId}/events", as the document's paths read.
            var path = System.Text.RegularExpressions.Regex.Replace(description.RelativePath ?? "", @"\{([^}:?]+)[^}]*\}", "{$1}").Trim('/');
            var keyed = metadata is not null || path.StartsWith("v1/admin", StringComparison.Ordinal);
            if (keyed)
            {
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, context.Document)] = [] });
                if (metadata?.Roles.Contains(ApiRole.Member) == true)
                    operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(MemberBearerScheme, context.Document)] = [] });
            }
            if (Examples.TryGetValue($"{description.HttpMethod?.ToUpperInvariant()} {path}", out var example))
            {
                // The event intake reads its body raw (bounded), so the generator sees no body: describe it here.
                operation.RequestBody ??= new OpenApiRequestBody { Required = true, Description = "JSON body (see the example)" };
                if (operation.RequestBody is OpenApiRequestBody body) body.Content ??= new Dictionary<string, OpenApiMediaType>();
                var content = operation.RequestBody.Content;
                if (content is not null)
                {
                    if (!content.TryGetValue("application/json", out var media)) content["application/json"] = media = new OpenApiMediaType();
                    media.Example = JsonNode.Parse(example);
                }
            }
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// Scalar with nothing that calls out: its script is served by this host (/docs/scalar.js), fonts are the system's,
    /// no request proxy, no telemetry, no hosted client or agent.
    /// </summary>
    public static void ConfigureDocs(ScalarOptions options)
    {
        options.WithTitle("Loyalty.Chain API")
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .DisableMcp()
            .HideClientButton();
        options.ProxyUrl = null;
    }
}
