using Loyalty.Chain.Programs;

namespace Loyalty.Chain.Expiry;

/// <summary>When points expire under a program's policy. Periods count in the program's time zone.</summary>
public static class ExpiryRules
{
    /// <summary>Fixed policy: when a lot that became available at <paramref name="availableAt"/> expires; null under the other policies.</summary>
    public static DateTime? LotExpiry(LoyaltyProgram program, DateTime availableAt)
    {
        if (program.ExpiryPolicy != ExpiryPolicy.Fixed) return null;
        var expires = Add(program, availableAt);
        if (!program.ExpiryRoundToMonthEnd) return expires;
        // The last instant of the local month it falls in.
        var zone = program.Zone;
        var local = TimeZoneInfo.ConvertTimeFromUtc(expires, zone);
        var nextMonth = new DateTime(local.Year, local.Month, 1, 0, 0, 0, DateTimeKind.Unspecified).AddMonths(1);
        return ToUtc(nextMonth, zone).AddTicks(-1);
    }

    /// <summary>Inactivity policy: when the balance of a member last active at <paramref name="lastActivity"/> expires.</summary>
    public static DateTime? InactivityExpiry(LoyaltyProgram program, DateTime lastActivity) =>
        program.ExpiryPolicy == ExpiryPolicy.Inactivity ? Add(program, lastActivity) : null;

    /// <summary>The start of the inactivity window ending at <paramref name="now"/>: no qualifying activity since then means expiry.</summary>
    public static DateTime InactivityCutoff(LoyaltyProgram program, DateTime now)
    {
        if (program.ExpiryMonths is { } months)
        {
            var local = TimeZoneInfo.ConvertTimeFromUtc(now, program.Zone);
            return ToUtc(DateTime.SpecifyKind(local.AddMonths(-months), DateTimeKind.Unspecified), program.Zone);
        }
        return now.AddDays(-(program.ExpiryDays ?? 0));
    }

    /// <summary>A local time to UTC; a time skipped by a daylight-saving jump counts as the hour after it.</summary>
    internal static DateTime ToUtc(DateTime local, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTimeToUtc(zone.IsInvalidTime(local) ? local.AddHours(1) : local, zone);

    private static DateTime Add(LoyaltyProgram program, DateTime utc)
    {
        if (program.ExpiryMonths is { } months)
        {
            // Calendar months in the program's zone: 31 Jan + 1 month = 28/29 Feb, as a brand's customer would read it.
            var local = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), program.Zone);
            var shifted = DateTime.SpecifyKind(local.AddMonths(months), DateTimeKind.Unspecified);
            return ToUtc(shifted, program.Zone);
        }
        return DateTime.SpecifyKind(utc, DateTimeKind.Utc).AddDays(program.ExpiryDays ?? 0);
    }
}
