using Loyalty.Chain.Earning;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using static Loyalty.Chain.Tests.Earning.EarningTestData;

namespace Loyalty.Chain.Tests.Earning;

/// <summary>EarningRule and RuleAward on a real SQLite file in a temp folder.</summary>
public sealed class RuleStorageTests : IDisposable
{
    private const long Program = 1, Member = 42;
    private readonly string folder = Directory.CreateTempSubdirectory("earning-tests-").FullName;
    private readonly List<LoyaltyDbContext> contexts = [];
    private long nextEventId = 1;

    public RuleStorageTests()
    {
        using var db = NewContext();
        db.Database.EnsureCreated();
    }

    public void Dispose()
    {
        foreach (var db in contexts) db.Dispose();
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }

    private LoyaltyDbContext NewContext()
    {
        // No pooling: the file can be deleted at the end without clearing every pool of the test run.
        var options = new DbContextOptionsBuilder<LoyaltyDbContext>()
            .UseSqlite($"Data Source={Path.Combine(folder, "loyalty.db")};Pooling=False").Options;
        var db = new LoyaltyDbContext(options);
        contexts.Add(db);
        return db;
    }

    private static EarningRule FullRule() => new()
    {
        ProgramId = Program,
        Name = "Weekend shoes campaign",
        Trigger = "Purchase",
        Conditions = new()
        {
            MinAmount = 1000,
            Categories = ["shoes", "bags"],
            Tiers = ["gold"],
            Attributes = new() { ["city"] = "Berlin" },
            Weekdays = [DayOfWeek.Saturday, DayOfWeek.Sunday],
            FromHour = 22,
            ToHour = 2,
            Currency = "EUR",
        },
        Effect = RuleEffect.PerCurrencyUnit(5, 250, RoundingMode.HalfUp),
        Limits = new() { PerMemberPerDay = 100, PerMemberPerMonth = 1000, Budget = 50_000 },
        Priority = 3,
        Stacking = RuleStacking.Exclusive,
        StartsAt = Noon,
        EndsAt = Noon.AddDays(2),
        CreatedAt = Noon,
    };

    private async Task<EarningRule> SaveRule(EarningRule rule)
    {
        await using var db = NewContext();
        db.Add(rule);
        await db.SaveChangesAsync();
        return rule;
    }

    private async Task Award(long ruleId, long points, DateTime at, long member = Member, long program = Program)
    {
        await using var db = NewContext();
        db.Add(new RuleAward { ProgramId = program, RuleId = ruleId, MemberId = member, EventId = nextEventId++, Points = points, AwardedAt = at });
        await db.SaveChangesAsync();
    }

    private Task<RuleUsage> Load(IEnumerable<EarningRule> rules, DateTime at, TimeZoneInfo zone) =>
        new RuleUsageQuery(NewContext()).LoadAsync(Program, Member, rules, at, zone);

    [Fact]
    public async Task EarningRule_RoundTripsThroughJsonColumns()
    {
        var saved = await SaveRule(FullRule());

        await using var db = NewContext();
        var loaded = await db.Set<EarningRule>().SingleAsync(r => r.Id == saved.Id);
        Assert.Equal("purchase", loaded.Trigger);
        Assert.Equal(RuleJson.Serialize(saved.Conditions), RuleJson.Serialize(loaded.Conditions));
        Assert.Equal(["shoes", "bags"], loaded.Conditions.Categories!);
        Assert.Equal([DayOfWeek.Saturday, DayOfWeek.Sunday], loaded.Conditions.Weekdays!);
        Assert.Equal("Berlin", loaded.Conditions.Attributes!["city"]);
        Assert.Equal((22, 2), (loaded.Conditions.FromHour, loaded.Conditions.ToHour));
        Assert.Equal(saved.Effect, loaded.Effect);
        Assert.Equal(saved.Limits, loaded.Limits);
        Assert.Equal((3, RuleStacking.Exclusive, true), (loaded.Priority, loaded.Stacking, loaded.Active));
        Assert.Equal((saved.StartsAt, saved.EndsAt), (loaded.StartsAt, loaded.EndsAt));
    }

    [Fact]
    public async Task EarningRule_IsStoredAsReadableJsonText()
    {
        var saved = await SaveRule(FullRule());

        await using var db = NewContext();
        var row = await db.Database.SqlQuery<string>($"SELECT Effect || '|' || Conditions AS Value FROM EarningRules WHERE Id = {saved.Id}").SingleAsync();
        Assert.Contains("\"kind\":\"PerCurrencyUnit\"", row);
        Assert.Contains("\"rounding\":\"HalfUp\"", row);
        Assert.Contains("\"weekdays\":[\"Saturday\",\"Sunday\"]", row);
        Assert.DoesNotContain("null", row);
    }

    [Fact]
    public async Task EarningRule_ChangedInsideAnArray_IsDetectedAndSaved()
    {
        var saved = await SaveRule(FullRule());

        await using (var db = NewContext())
        {
            var rule = await db.Set<EarningRule>().SingleAsync(r => r.Id == saved.Id);
            rule.Conditions.Categories![0] = "boots"; // in place: only a value comparer on the JSON sees this
            rule.Limits = rule.Limits with { Budget = 60_000 };
            Assert.Equal(1, await db.SaveChangesAsync());
        }
        await using var check = NewContext();
        var reloaded = await check.Set<EarningRule>().SingleAsync(r => r.Id == saved.Id);
        Assert.Equal(["boots", "bags"], reloaded.Conditions.Categories!);
        Assert.Equal(60_000, reloaded.Limits.Budget);
    }

    [Fact]
    public async Task EarningRule_WithDefaultParts_RoundTrips()
    {
        var saved = await SaveRule(new EarningRule { ProgramId = Program, Name = "review", Trigger = "review", Effect = RuleEffect.Fixed(20) });
        await using var db = NewContext();
        var loaded = await db.Set<EarningRule>().SingleAsync(r => r.Id == saved.Id);
        Assert.Equal(new RuleConditions(), loaded.Conditions);
        Assert.True(loaded.Limits.IsEmpty);
        Assert.Equal(RuleEffect.Fixed(20), loaded.Effect);
    }

    [Fact]
    public async Task UsageQuery_CountsTodayAndThisMonthInTheProgramZone()
    {
        var rule = await SaveRule(Rule(0, RuleEffect.Fixed(10), limits: new() { PerMemberPerDay = 100, PerMemberPerMonth = 1000 }));
        // The event: Thursday 6 March 2025, 09:00 in Berlin (UTC+1).
        var at = new DateTime(2025, 3, 6, 8, 0, 0, DateTimeKind.Utc);
        await Award(rule.Id, 1, new DateTime(2025, 3, 5, 22, 59, 59, DateTimeKind.Utc));  // Wed 23:59:59 Berlin: yesterday
        await Award(rule.Id, 2, new DateTime(2025, 3, 5, 23, 0, 0, DateTimeKind.Utc));    // Thu 00:00 Berlin: today
        await Award(rule.Id, 4, new DateTime(2025, 3, 6, 22, 59, 59, DateTimeKind.Utc));  // Thu 23:59:59 Berlin: today
        await Award(rule.Id, 8, new DateTime(2025, 3, 6, 23, 0, 0, DateTimeKind.Utc));    // Fri 00:00 Berlin: tomorrow, same month
        await Award(rule.Id, 16, new DateTime(2025, 2, 28, 22, 59, 0, DateTimeKind.Utc)); // 28 Feb 23:59 Berlin: last month
        await Award(rule.Id, 32, new DateTime(2025, 2, 28, 23, 0, 0, DateTimeKind.Utc));  // 1 Mar 00:00 Berlin: this month
        await Award(rule.Id, 64, at, member: 7);                                          // another member
        await Award(rule.Id, 128, at, program: 2);                                        // another program

        var berlin = (await Load([rule], at, Berlin))[rule.Id];
        Assert.Equal(2 + 4, berlin.PointsToMemberToday);
        Assert.Equal(1 + 2 + 4 + 8 + 32, berlin.PointsToMemberThisMonth);

        // The same rows seen from UTC fall on other days and months.
        var utc = (await Load([rule], at, TimeZoneInfo.Utc))[rule.Id];
        Assert.Equal(4 + 8, utc.PointsToMemberToday);
        Assert.Equal(1 + 2 + 4 + 8, utc.PointsToMemberThisMonth);
    }

    [Fact]
    public async Task UsageQuery_MonthEndInANonUtcZone_FollowsTheLocalCalendar()
    {
        var rule = await SaveRule(Rule(0, RuleEffect.Fixed(10), limits: new() { PerMemberPerMonth = 1000 }));
        // 31 March 22:30 UTC is already 1 April 00:30 in Berlin (UTC+2 since 30 March).
        await Award(rule.Id, 5, new DateTime(2025, 3, 31, 21, 59, 0, DateTimeKind.Utc)); // 31 Mar 23:59 Berlin
        await Award(rule.Id, 7, new DateTime(2025, 3, 31, 22, 30, 0, DateTimeKind.Utc)); // 1 Apr 00:30 Berlin

        Assert.Equal(7, (await Load([rule], new DateTime(2025, 4, 1, 8, 0, 0, DateTimeKind.Utc), Berlin))[rule.Id].PointsToMemberThisMonth);
        Assert.Equal(5, (await Load([rule], new DateTime(2025, 3, 31, 12, 0, 0, DateTimeKind.Utc), Berlin))[rule.Id].PointsToMemberThisMonth);
    }

    [Fact]
    public async Task UsageQuery_Budget_CountsEveryMemberOfTheRuleOnly()
    {
        var campaign = await SaveRule(Rule(0, RuleEffect.Fixed(10), limits: new() { Budget = 1000 }));
        var other = await SaveRule(Rule(0, RuleEffect.Fixed(10), limits: new() { Budget = 1000 }));
        await Award(campaign.Id, 100, Noon.AddMonths(-3), member: 1);
        await Award(campaign.Id, 200, Noon, member: 2);
        await Award(campaign.Id, 300, Noon, member: Member);
        await Award(other.Id, 400, Noon);

        var usage = await Load([campaign], Noon, Berlin);
        Assert.Equal(new RuleUsageEntry(0, 0, 600), usage[campaign.Id]);
        Assert.Equal(default, usage[other.Id]);
    }

    [Fact]
    public async Task UsageQuery_OnADayWhoseMidnightDoesNotExist_StartsTheDayAtTheJump()
    {
        // Chile springs forward at midnight: 8 September 2024 starts at 01:00 local, 04:00 UTC.
        var santiago = TimeZoneInfo.FindSystemTimeZoneById("America/Santiago");
        var rule = await SaveRule(Rule(0, RuleEffect.Fixed(10), limits: new() { PerMemberPerDay = 100 }));
        await Award(rule.Id, 1, new DateTime(2024, 9, 8, 3, 59, 0, DateTimeKind.Utc));
        await Award(rule.Id, 2, new DateTime(2024, 9, 8, 4, 0, 0, DateTimeKind.Utc));

        Assert.Equal(2, (await Load([rule], new DateTime(2024, 9, 8, 15, 0, 0, DateTimeKind.Utc), santiago))[rule.Id].PointsToMemberToday);
        Assert.Equal(1, (await Load([rule], new DateTime(2024, 9, 7, 15, 0, 0, DateTimeKind.Utc), santiago))[rule.Id].PointsToMemberToday);
    }

    [Fact]
    public void LocalPeriods_OnADayWhoseMidnightHappensTwice_StartAtTheFirst()
    {
        // Cuba falls back from 01:00 to 00:00 on 3 November 2024: that day starts at 00:00 CDT, 04:00 UTC.
        var havana = TimeZoneInfo.FindSystemTimeZoneById("America/Havana");
        var periods = LocalPeriods.For(new DateTime(2024, 11, 3, 12, 0, 0, DateTimeKind.Utc), havana);
        Assert.Equal(new DateTime(2024, 11, 3, 4, 0, 0), periods.DayStart);
        Assert.Equal(new DateTime(2024, 11, 4, 5, 0, 0), periods.DayEnd);
        Assert.Equal(new DateTime(2024, 11, 1, 4, 0, 0), periods.MonthStart);
    }

    [Fact]
    public async Task UsageQuery_ForRulesWithoutLimits_ReadsNothing()
    {
        var rule = await SaveRule(Rule(0, RuleEffect.Fixed(10)));
        await Award(rule.Id, 10, Noon);
        Assert.Empty((await Load([rule], Noon, Berlin)).Entries);
    }

    [Fact]
    public async Task EvaluationStoredAsAwards_IsWhatTheNextEvaluationsLimitsSee()
    {
        var rule = await SaveRule(Rule(0, RuleEffect.PerCurrencyUnit(1), limits: new() { PerMemberPerDay = 80 }));
        var first = Purchase(amount: 5000, at: Noon);
        var second = Purchase(amount: 5000, at: Noon.AddHours(1));

        var r1 = RuleEvaluator.Evaluate(first, [rule], await Load([rule], first.OccurredAt, Berlin), Berlin);
        Assert.Equal(50, r1.TotalPoints);
        await using (var db = NewContext())
        {
            db.AddRange(r1.ToAwards(Program, Member, eventId: 1001, awardedAt: first.OccurredAt));
            await db.SaveChangesAsync();
        }

        var r2 = RuleEvaluator.Evaluate(second, [rule], await Load([rule], second.OccurredAt, Berlin), Berlin);
        Assert.Equal(30, r2.TotalPoints);
        Assert.EndsWith("clipped to 30 by daily limit 80 (50 already awarded today)", r2.Single().Reason);
    }

    [Fact]
    public async Task RuleAward_ForOneEventAndRuleTwice_IsRejected()
    {
        var rule = await SaveRule(Rule(0, RuleEffect.Fixed(10)));
        await using var db = NewContext();
        db.Add(new RuleAward { ProgramId = Program, RuleId = rule.Id, MemberId = Member, EventId = 5, Points = 10, AwardedAt = Noon });
        db.Add(new RuleAward { ProgramId = Program, RuleId = rule.Id, MemberId = Member, EventId = 5, Points = 10, AwardedAt = Noon });
        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
    }
}
