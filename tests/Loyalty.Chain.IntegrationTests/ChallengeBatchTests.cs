using System.Net;
using Loyalty.Chain.Challenges;
using Loyalty.Chain.Earning;
using Loyalty.Chain.Idempotency;
using Loyalty.Chain.Intake;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Loyalty.Chain.Ledger;
using Loyalty.Chain.Members;
using Loyalty.Chain.Programs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>
/// Challenge progress inside one intake batch, written by the real batch writer on the real database (SQLite, or PostgreSQL
/// in that pass): a batch writes each member's progress row once, however many of its events counted (issue 16), and an
/// event rolled back to its savepoint takes back its own progress and nothing of the events before it. Triggers in the
/// database count the row writes and refuse one event's idempotency row, so the batch is exactly the one given.
/// </summary>
public sealed class ChallengeBatchTests(ChallengeFixture f) : IClassFixture<ChallengeFixture>
{
    private DateTime Now => f.Time.GetUtcNow().UtcDateTime;

    private async Task<(long ChallengeId, Member Member, LoyaltyProgram Program)> SetUpAsync(string type, int count)
    {
        var created = await f.Api.PostAsync(f.P("/challenges"), f.AdminKey, new
        {
            name = "batch " + type, startsAt = Now.AddDays(-1), steps = new[] { new { name = "visits", eventType = type, count } },
            reward = new { points = "5" },
        });
        Assert.True(created.Status == HttpStatusCode.Created, created.Body?.ToJsonString());
        var external = "cb-" + Guid.NewGuid().ToString("N")[..10];
        Assert.Equal(HttpStatusCode.Created, (await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = external })).Status);
        using var scope = f.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        var member = await db.Set<Member>().AsNoTracking().SingleAsync(m => m.ProgramId == f.ProgramId && m.ExternalId == external);
        var program = await db.Set<LoyaltyProgram>().AsNoTracking().SingleAsync(p => p.Id == f.ProgramId);
        return (created.Body!["id"]!.GetValue<long>(), member, program);
    }

    /// <summary>Row writes (inserts and updates) of the member's progress rows, counted by triggers; the key given is refused.</summary>
    private async Task TriggersAsync(long memberId, string refusedKey)
    {
        using var scope = f.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        var tag = memberId.ToString();
        string[] sql = db.IsSqlite
            ?
            [
                "CREATE TABLE IF NOT EXISTS test_progress_writes (member INTEGER NOT NULL)",
                $"""CREATE TRIGGER test_progress_insert_{tag} AFTER INSERT ON "ChallengeProgress" WHEN NEW."MemberId" = {tag} BEGIN INSERT INTO test_progress_writes VALUES ({tag}); END""",
                $"""CREATE TRIGGER test_progress_update_{tag} AFTER UPDATE ON "ChallengeProgress" WHEN NEW."MemberId" = {tag} BEGIN INSERT INTO test_progress_writes VALUES ({tag}); END""",
                $"""CREATE TRIGGER test_refuse_{tag} BEFORE INSERT ON "IdempotencyKeys" WHEN NEW."Key" = '{refusedKey}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END""",
            ]
            :
            [
                "CREATE TABLE IF NOT EXISTS test_progress_writes (member bigint NOT NULL)",
                """CREATE OR REPLACE FUNCTION test_count_progress() RETURNS trigger AS $$ BEGIN INSERT INTO test_progress_writes VALUES (NEW."MemberId"); RETURN NEW; END $$ LANGUAGE plpgsql""",
                $"""CREATE TRIGGER test_progress_{tag} AFTER INSERT OR UPDATE ON "ChallengeProgress" FOR EACH ROW WHEN (NEW."MemberId" = {tag}) EXECUTE FUNCTION test_count_progress()""",
                """CREATE OR REPLACE FUNCTION test_refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql""",
                $"""CREATE TRIGGER test_refuse_{tag} BEFORE INSERT ON "IdempotencyKeys" FOR EACH ROW WHEN (NEW."Key" = '{refusedKey}') EXECUTE FUNCTION test_refuse()""",
            ];
        foreach (var statement in sql) await db.Database.ExecuteSqlRawAsync(statement);
    }

    private async Task<IntakeOutcome[]> WriteBatchAsync(LoyaltyProgram program, Member member, string type, IReadOnlyList<string> keys)
    {
        var items = keys.Select(key => new IntakeItem(program,
            new ParsedEvent(type, member.ExternalId, key, null, program.Currency, Now, [], null),
            new IdempotencyRequest(program.Id, EventIntakeService.IdempotencyScope, key, "hash-" + key), CancellationToken.None)).ToList();
        using var scope = f.Factory.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<IntakeBatchWriter>().WriteAsync(items, CancellationToken.None);
    }

    private async Task<(string State, long Writes, int Completions)> ProgressAsync(long challengeId, long memberId)
    {
        using var scope = f.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        var row = await db.Set<ChallengeProgress>().AsNoTracking().SingleAsync(p => p.ChallengeId == challengeId && p.MemberId == memberId);
        var writes = await db.Database.SqlQueryRaw<long>($"SELECT COUNT(*) AS \"Value\" FROM test_progress_writes WHERE member = {memberId}").SingleAsync();
        var completions = await db.Set<ChallengeCompletion>().CountAsync(c => c.ChallengeId == challengeId && c.MemberId == memberId);
        var done = ProgressState.Parse(row.State, 1).Steps[0].Done;
        return ($"{done}{(row.Completed ? " completed" : "")}", writes, completions);
    }

    [Fact]
    public async Task ABatchOfEventsOfOneMember_WritesItsProgressRowOnce_AndCountsEveryEvent()
    {
        var type = "visit-" + Guid.NewGuid().ToString("N")[..6];
        var (challengeId, member, program) = await SetUpAsync(type, count: 10);
        await TriggersAsync(member.Id, "none");

        var outcomes = await WriteBatchAsync(program, member, type, Enumerable.Range(0, 6).Select(i => $"{type}-{i}").ToList());

        Assert.All(outcomes, o => Assert.Equal(IntakeOutcomeKind.Done, o.Kind));
        var (state, writes, _) = await ProgressAsync(challengeId, member.Id);
        Assert.Equal("6", state);
        // One insert for the whole batch (it was one per event: an insert, then an update per further event).
        Assert.Equal(1, writes);

        // A second batch: the row is updated once more, from where the first left it.
        await WriteBatchAsync(program, member, type, Enumerable.Range(6, 3).Select(i => $"{type}-{i}").ToList());
        Assert.Equal(("9", 2L, 0), await ProgressAsync(challengeId, member.Id));
    }

    [Fact]
    public async Task AnEventRolledBackInsideABatch_TakesBackOnlyItsOwnProgress_AndItsCompletion()
    {
        var type = "visit-" + Guid.NewGuid().ToString("N")[..6];
        var (challengeId, member, program) = await SetUpAsync(type, count: 3);
        // The third event would complete the challenge; the database refuses its idempotency row after its progress counted.
        var refused = $"{type}-2";
        await TriggersAsync(member.Id, refused);

        var outcomes = await WriteBatchAsync(program, member, type, [$"{type}-0", $"{type}-1", refused]);

        Assert.Equal([IntakeOutcomeKind.Done, IntakeOutcomeKind.Done, IntakeOutcomeKind.Later], outcomes.Select(o => o.Kind));
        // The two events before it count; its completion (and award outbox row) went with its savepoint.
        Assert.Equal(("2", 1L, 0), await ProgressAsync(challengeId, member.Id));

        // The next event completes it exactly once.
        await WriteBatchAsync(program, member, type, [$"{type}-3"]);
        Assert.Equal(("3 completed", 2L, 1), await ProgressAsync(challengeId, member.Id));
        using var scope = f.Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoyaltyDbContext>();
        Assert.Equal(1, await db.Set<ChallengeAward>().CountAsync(a => a.ChallengeId == challengeId && a.MemberId == member.Id));
    }
}
