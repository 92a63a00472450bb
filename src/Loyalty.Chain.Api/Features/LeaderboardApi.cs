using System.Globalization;
using Loyalty.Chain.Access;
using Loyalty.Chain.Api.Infrastructure;
using Loyalty.Chain.Leaderboards;
using Loyalty.Chain.Members;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Chain.Api.Features;

/// <summary>Opt-in leaderboards of points earned per period, by pseudonym only.</summary>
public static class LeaderboardApi
{
    public const int MaxLimit = 100;

    public sealed record OptInRequest(bool? OptIn, string? DisplayName);
    public sealed record OptInView(bool OptIn, string DisplayName, bool Generated);
    public sealed record RowView(int Rank, string DisplayName, string Points);
    public sealed record YouView(int? Rank, string Points, bool OptIn, string? DisplayName);
    public sealed record BoardView(string Period, DateOnly? From, DateOnly? To, List<RowView> Rows, YouView? You);

    public static IEndpointRouteBuilder MapLeaderboard(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/programs/{programId:long}").WithTags("Leaderboard");
        group.MapPut("/members/{memberId}/leaderboard", OptInAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Member).WithIdempotency("leaderboard");
        group.MapGet("/leaderboard", GetAsync).RequireProgramRole(ApiRole.Admin, ApiRole.Shop, ApiRole.Member).AllowAnyMemberOfProgram();
        return routes;
    }

    private static async Task<Ok<OptInView>> OptInAsync(HttpContext http, string memberId, OptInRequest? r, MemberService members,
        LeaderboardService boards, CancellationToken ct)
    {
        if (r?.OptIn is not { } optIn) throw new LoyaltyException("INVALID_OPT_IN", "optIn (true or false) is required");
        var member = await members.GetAsync(http.Program().Id, memberId, ct);
        var row = await boards.SetAsync(member, optIn, r.DisplayName, ct);
        return TypedResults.Ok(new OptInView(row.OptedIn, row.DisplayName, row.Generated));
    }

    private static async Task<Ok<BoardView>> GetAsync(HttpContext http, string? period, string? at, string? limit, MemberService members,
        LeaderboardService boards, TimeProvider time, CancellationToken ct)
    {
        var program = http.Program();
        var kind = LeaderboardPeriod.Parse(period);
        DateOnly day;
        if (at is null) day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(time.GetUtcNow().UtcDateTime, program.Zone));
        else if (!DateOnly.TryParseExact(at, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day) || day.Year < 2000)
            throw new LoyaltyException("INVALID_DATE", "at must be a date yyyy-MM-dd");
        var take = Limit(limit, 10, MaxLimit);
        var caller = http.Caller();
        var you = caller.Role == ApiRole.Member && caller.MemberId is { } own ? await members.FindAsync(program.Id, own, ct) : null;
        var board = await boards.GetAsync(program.Id, LeaderboardPeriod.Of(kind, day, program.Zone), take, you, ct);
        return TypedResults.Ok(new BoardView(kind.ToString().ToLowerInvariant(), board.Period.FirstDay, board.Period.LastDay,
            board.Rows.Select(x => new RowView(x.Rank, x.DisplayName, x.Points.ToString())).ToList(),
            board.You is { } y ? new YouView(y.Rank, y.Points.ToString(), y.OptedIn, y.DisplayName) : null));
    }

    /// <summary>A plain positive integer up to <paramref name="max"/> (no sign, spaces or exponent), or INVALID_LIMIT.</summary>
    internal static int Limit(string? text, int fallback, int max) =>
        text is null ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= max ? n
        : throw new LoyaltyException("INVALID_LIMIT", $"limit must be a whole number 1-{max}");
}
