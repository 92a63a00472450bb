using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Loyalty.Chain.Ledger.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Engagement : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "CauseId",
                table: "Rewards",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "SegmentId",
                table: "Rewards",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "OfferId",
                table: "Redemptions",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Causes",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    Url = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    Active = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Causes", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ChallengeAwards",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    ChallengeId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    CompletionId = table.Column<long>(type: "INTEGER", nullable: false),
                    Points = table.Column<long>(type: "INTEGER", nullable: false),
                    DropId = table.Column<long>(type: "INTEGER", nullable: true),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    MintIntentId = table.Column<long>(type: "INTEGER", nullable: true),
                    DropMintId = table.Column<long>(type: "INTEGER", nullable: true),
                    Error = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    AwardedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ChallengeAwards", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ChallengeCompletions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    ChallengeId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Period = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Sequence = table.Column<int>(type: "INTEGER", nullable: false),
                    EventId = table.Column<long>(type: "INTEGER", nullable: false),
                    CompletedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ChallengeCompletions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ChallengeProgress",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    ChallengeId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Period = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Sequence = table.Column<int>(type: "INTEGER", nullable: false),
                    State = table.Column<string>(type: "TEXT", nullable: false),
                    Completed = table.Column<bool>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ChallengeProgress", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Challenges",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    Active = table.Column<bool>(type: "INTEGER", nullable: false),
                    StartsAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    EndsAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Ordered = table.Column<bool>(type: "INTEGER", nullable: false),
                    Repeat = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Steps = table.Column<string>(type: "TEXT", nullable: false),
                    RewardPoints = table.Column<long>(type: "INTEGER", nullable: false),
                    RewardDropId = table.Column<long>(type: "INTEGER", nullable: true),
                    MaxCompletionsPerMember = table.Column<int>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Challenges", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "EventCategories",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    EventId = table.Column<long>(type: "INTEGER", nullable: false),
                    Category = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Amount = table.Column<long>(type: "INTEGER", nullable: false),
                    OccurredAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EventCategories", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "LeaderboardProfiles",
                columns: table => new
                {
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    OptedIn = table.Column<bool>(type: "INTEGER", nullable: false),
                    DisplayName = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    NormalizedName = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    Generated = table.Column<bool>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LeaderboardProfiles", x => x.MemberId);
                });

            migrationBuilder.CreateTable(
                name: "OfferMembers",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    OfferId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OfferMembers", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Offers",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    SegmentId = table.Column<long>(type: "INTEGER", nullable: true),
                    ListedMembers = table.Column<int>(type: "INTEGER", nullable: false),
                    StartsAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    EndsAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Active = table.Column<bool>(type: "INTEGER", nullable: false),
                    RewardId = table.Column<long>(type: "INTEGER", nullable: true),
                    Cost = table.Column<long>(type: "INTEGER", nullable: true),
                    RuleId = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Offers", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ReferralCodes",
                columns: table => new
                {
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Code = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReferralCodes", x => x.MemberId);
                });

            migrationBuilder.CreateTable(
                name: "ReferralPolicies",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Active = table.Column<bool>(type: "INTEGER", nullable: false),
                    QualifyingEventTypes = table.Column<string>(type: "TEXT", nullable: false),
                    MinAmount = table.Column<long>(type: "INTEGER", nullable: true),
                    QualifyWithinDays = table.Column<int>(type: "INTEGER", nullable: true),
                    MonthlyCapPerReferrer = table.Column<int>(type: "INTEGER", nullable: true),
                    ReferrerPoints = table.Column<long>(type: "INTEGER", nullable: false),
                    ReferrerDropId = table.Column<long>(type: "INTEGER", nullable: true),
                    RefereePoints = table.Column<long>(type: "INTEGER", nullable: false),
                    RefereeDropId = table.Column<long>(type: "INTEGER", nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReferralPolicies", x => x.ProgramId);
                });

            migrationBuilder.CreateTable(
                name: "Referrals",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    ReferrerId = table.Column<long>(type: "INTEGER", nullable: false),
                    RefereeId = table.Column<long>(type: "INTEGER", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    QualifiedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    QualifyingEventId = table.Column<long>(type: "INTEGER", nullable: true),
                    QualifyingAccrualId = table.Column<long>(type: "INTEGER", nullable: true),
                    RewardDueAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    RewardedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    RefusedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    ReferrerPoints = table.Column<long>(type: "INTEGER", nullable: false),
                    RefereePoints = table.Column<long>(type: "INTEGER", nullable: false),
                    ReferrerDropMintId = table.Column<long>(type: "INTEGER", nullable: true),
                    RefereeDropMintId = table.Column<long>(type: "INTEGER", nullable: true),
                    DropRefusal = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Referrals", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Segments",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    Definition = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Segments", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Rewards_CauseId",
                table: "Rewards",
                column: "CauseId");

            migrationBuilder.CreateIndex(
                name: "IX_Causes_ProgramId_Id",
                table: "Causes",
                columns: new[] { "ProgramId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_ChallengeAwards_CompletionId",
                table: "ChallengeAwards",
                column: "CompletionId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ChallengeAwards_MemberId_ChallengeId",
                table: "ChallengeAwards",
                columns: new[] { "MemberId", "ChallengeId" });

            migrationBuilder.CreateIndex(
                name: "IX_ChallengeAwards_Status_ProgramId",
                table: "ChallengeAwards",
                columns: new[] { "Status", "ProgramId" });

            migrationBuilder.CreateIndex(
                name: "IX_ChallengeCompletions_ChallengeId_MemberId_Period_Sequence",
                table: "ChallengeCompletions",
                columns: new[] { "ChallengeId", "MemberId", "Period", "Sequence" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ChallengeCompletions_MemberId_ChallengeId",
                table: "ChallengeCompletions",
                columns: new[] { "MemberId", "ChallengeId" });

            migrationBuilder.CreateIndex(
                name: "IX_ChallengeProgress_ChallengeId_MemberId_Period",
                table: "ChallengeProgress",
                columns: new[] { "ChallengeId", "MemberId", "Period" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ChallengeProgress_MemberId_ChallengeId",
                table: "ChallengeProgress",
                columns: new[] { "MemberId", "ChallengeId" });

            migrationBuilder.CreateIndex(
                name: "IX_Challenges_ProgramId_Active",
                table: "Challenges",
                columns: new[] { "ProgramId", "Active" });

            migrationBuilder.CreateIndex(
                name: "IX_EventCategories_EventId",
                table: "EventCategories",
                column: "EventId");

            migrationBuilder.CreateIndex(
                name: "IX_EventCategories_ProgramId_Category_OccurredAt",
                table: "EventCategories",
                columns: new[] { "ProgramId", "Category", "OccurredAt" });

            migrationBuilder.CreateIndex(
                name: "IX_EventCategories_ProgramId_MemberId_Category_OccurredAt",
                table: "EventCategories",
                columns: new[] { "ProgramId", "MemberId", "Category", "OccurredAt" });

            migrationBuilder.CreateIndex(
                name: "IX_LeaderboardProfiles_ProgramId_NormalizedName",
                table: "LeaderboardProfiles",
                columns: new[] { "ProgramId", "NormalizedName" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LeaderboardProfiles_ProgramId_OptedIn",
                table: "LeaderboardProfiles",
                columns: new[] { "ProgramId", "OptedIn" });

            migrationBuilder.CreateIndex(
                name: "IX_OfferMembers_OfferId_MemberId",
                table: "OfferMembers",
                columns: new[] { "OfferId", "MemberId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_OfferMembers_ProgramId_MemberId",
                table: "OfferMembers",
                columns: new[] { "ProgramId", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_Offers_ProgramId_Active_EndsAt",
                table: "Offers",
                columns: new[] { "ProgramId", "Active", "EndsAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Offers_ProgramId_RewardId",
                table: "Offers",
                columns: new[] { "ProgramId", "RewardId" });

            migrationBuilder.CreateIndex(
                name: "IX_ReferralCodes_ProgramId_Code",
                table: "ReferralCodes",
                columns: new[] { "ProgramId", "Code" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Referrals_ProgramId_ReferrerId_CreatedAt",
                table: "Referrals",
                columns: new[] { "ProgramId", "ReferrerId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Referrals_RefereeId",
                table: "Referrals",
                column: "RefereeId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Referrals_Status_RewardDueAt",
                table: "Referrals",
                columns: new[] { "Status", "RewardDueAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Segments_ProgramId_Id",
                table: "Segments",
                columns: new[] { "ProgramId", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Causes");

            migrationBuilder.DropTable(
                name: "ChallengeAwards");

            migrationBuilder.DropTable(
                name: "ChallengeCompletions");

            migrationBuilder.DropTable(
                name: "ChallengeProgress");

            migrationBuilder.DropTable(
                name: "Challenges");

            migrationBuilder.DropTable(
                name: "EventCategories");

            migrationBuilder.DropTable(
                name: "LeaderboardProfiles");

            migrationBuilder.DropTable(
                name: "OfferMembers");

            migrationBuilder.DropTable(
                name: "Offers");

            migrationBuilder.DropTable(
                name: "ReferralCodes");

            migrationBuilder.DropTable(
                name: "ReferralPolicies");

            migrationBuilder.DropTable(
                name: "Referrals");

            migrationBuilder.DropTable(
                name: "Segments");

            migrationBuilder.DropIndex(
                name: "IX_Rewards_CauseId",
                table: "Rewards");

            migrationBuilder.DropColumn(
                name: "CauseId",
                table: "Rewards");

            migrationBuilder.DropColumn(
                name: "SegmentId",
                table: "Rewards");

            migrationBuilder.DropColumn(
                name: "OfferId",
                table: "Redemptions");
        }
    }
}
