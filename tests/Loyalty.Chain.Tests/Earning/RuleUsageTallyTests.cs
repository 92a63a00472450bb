using Loyalty.Chain.Earning;
using Loyalty.Chain.Ledger;
using Microsoft.EntityFrameworkCore;
using static Loyalty.Chain.Tests.Earning.EarningTestData;

namespace Loyalty.Chain.Tests.Earning;

/// <summary>
/// <see cref="RuleUsageTally"/> (one load for a batch of events, plus the awards written since) against
/// <see cref="RuleUsageQuery.LoadAsync"/> (one query per event), on a real SQLite file.
/// </summary>
public sealed class RuleUsageTallyTests : IDisposable
{
    private const long Program = 1;
    private readonly string folder = Directory.CreateTempSubdirectory("tally-tests-").FullName;
    private readonly List<LoyaltyDbContext> contexts = [];
    private long nextEventId = 1;

    public RuleUsageTallyTests()
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
        var options = new DbContextOptionsBuilder<LoyaltyDbContext>()
            .UseSqlite($"Data Source={Path.Combine(folder, "loyalty.db")};Pooling=False").Options;
        var db = new LoyaltyDbContext(options);
        contexts.Add(db);
        return db;
    }

    private async Task<List<EarningRule>> SaveRulesAsync()
    {
        List<EarningRule> rules =
        [
            Rule(0, RuleEffect.Fixed(10), limits: new() { PerMemberPerDay = 25 }),
            Rule(0, RuleEffect.Fixed(7), limits: new() { PerMemberPerMonth = 40 }),
            Rule(0, RuleEffect.Fixed(5), limits: new() { Budget = 60 }),
            Rule(0, RuleEffect.Fixed(3)),
        ];
        await using var db = NewContext();
        foreach (var rule in rules) rule.Id = 0;
        db.AddRange(rules);
        await db.SaveChangesAsync();
        return rules;
    }

    private RuleAward Award(long ruleId, long member, long points, DateTime at) =>
        new() { ProgramId = Program, RuleId = ruleId, MemberId = member, EventId = nextEventId++, Points = points, AwardedAt = at };

    private async Task StoreAsync(IEnumerable<RuleAward> awards)
    {
        await using var db = NewContext();
        db.AddRange(awards);
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task Tally_AfterRecordingAwards_SaysWhatAFreshQueryPerEventSays()
    {
        var rules = await SaveRulesAsync();
        // Berlin midnight and month end fall inside the range: local days and months, not UTC ones.
        var start = new DateTime(2025, 3, 30, 20, 0, 0, DateTimeKind.Utc);
        var random = new Random(7);
        DateTime RandomInstant() => start.AddMinutes(random.Next(0, 3 * 24 * 60));
        long[] members = [11, 12, 13];

        // What was committed before the batch: also another member's awards, which budgets count.
        await StoreAsync(Enumerable.Range(0, 40).Select(_ =>
            Award(rules[random.Next(rules.Count)].Id, random.Next(10, 15), random.Next(1, 9), RandomInstant())));

        var instants = Enumerable.Range(0, 30).Select(_ => RandomInstant()).ToList();
        var tally = await new RuleUsageQuery(NewContext()).LoadTallyAsync(Program, members, rules, instants, Berlin);

        foreach (var at in instants)
        {
            var member = members[random.Next(members.Length)];
            var fresh = await new RuleUsageQuery(NewContext()).LoadAsync(Program, member, rules, at, Berlin);
            var batched = tally.For(member, at);
            foreach (var rule in rules) Assert.Equal(fresh[rule.Id], batched[rule.Id]);

            // The event is written: the database and the tally both learn of its awards.
            var awards = rules.Select(r => Award(r.Id, member, random.Next(1, 9), at)).ToList();
            await StoreAsync(awards);
            tally.Record(awards);
        }
    }

    [Fact]
    public async Task Tally_ForAnInstantItDidNotLoad_Refuses()
    {
        var rules = await SaveRulesAsync();
        var tally = await new RuleUsageQuery(NewContext()).LoadTallyAsync(Program, [11], rules, [Noon], Berlin);

        Assert.Throws<InvalidOperationException>(() => tally.For(11, Noon.AddDays(1)));
    }

    [Fact]
    public async Task Tally_WithoutLimitedRules_ReadsNothing()
    {
        var tally = await new RuleUsageQuery(NewContext()).LoadTallyAsync(Program, [11], [Rule(1, RuleEffect.Fixed(3))], [Noon], Berlin);

        Assert.Empty(tally.For(11, Noon.AddDays(40)).Entries);
    }
}
