using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Loyalty.Chain.Ledger.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Analytics : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "AnalyticsCohortMonths",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Cohort = table.Column<int>(type: "INTEGER", nullable: false),
                    Offset = table.Column<int>(type: "INTEGER", nullable: false),
                    ActiveMembers = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsCohortMonths", x => new { x.ProgramId, x.Cohort, x.Offset });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsDaily",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Day = table.Column<int>(type: "INTEGER", nullable: false),
                    NewMembers = table.Column<long>(type: "INTEGER", nullable: false),
                    ActiveMembers = table.Column<long>(type: "INTEGER", nullable: false),
                    Purchases = table.Column<long>(type: "INTEGER", nullable: false),
                    PurchaseAmount = table.Column<long>(type: "INTEGER", nullable: false),
                    Accruals = table.Column<long>(type: "INTEGER", nullable: false),
                    PointsIssued = table.Column<long>(type: "INTEGER", nullable: false),
                    PointsRedeemed = table.Column<long>(type: "INTEGER", nullable: false),
                    PointsExpired = table.Column<long>(type: "INTEGER", nullable: false),
                    PointsClawedBack = table.Column<long>(type: "INTEGER", nullable: false),
                    GasWei = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsDaily", x => new { x.ProgramId, x.Day });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsGasBatches",
                columns: table => new
                {
                    BatchId = table.Column<long>(type: "INTEGER", nullable: false),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsGasBatches", x => x.BatchId);
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsMemberDays",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Day = table.Column<int>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Purchases = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsMemberDays", x => new { x.ProgramId, x.Day, x.MemberId });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsMemberMonths",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Month = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsMemberMonths", x => new { x.ProgramId, x.MemberId, x.Month });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsRuleDaily",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Day = table.Column<int>(type: "INTEGER", nullable: false),
                    RuleId = table.Column<long>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Points = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsRuleDaily", x => new { x.ProgramId, x.Day, x.RuleId });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsRuleMemberDays",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    RuleId = table.Column<long>(type: "INTEGER", nullable: false),
                    Day = table.Column<int>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsRuleMemberDays", x => new { x.ProgramId, x.RuleId, x.Day, x.MemberId });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsStates",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    LedgerHwm = table.Column<long>(type: "INTEGER", nullable: false),
                    EventHwm = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberHwm = table.Column<long>(type: "INTEGER", nullable: false),
                    TierChangeHwm = table.Column<long>(type: "INTEGER", nullable: false),
                    BatchHwm = table.Column<long>(type: "INTEGER", nullable: false),
                    MembersTotal = table.Column<long>(type: "INTEGER", nullable: false),
                    Pending = table.Column<long>(type: "INTEGER", nullable: false),
                    Available = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsStates", x => x.ProgramId);
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsTierCounts",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Tier = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Members = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsTierCounts", x => new { x.ProgramId, x.Tier });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsTierMigrations",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Day = table.Column<int>(type: "INTEGER", nullable: false),
                    From = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    To = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Members = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsTierMigrations", x => new { x.ProgramId, x.Day, x.From, x.To });
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AnalyticsCohortMonths");

            migrationBuilder.DropTable(
                name: "AnalyticsDaily");

            migrationBuilder.DropTable(
                name: "AnalyticsGasBatches");

            migrationBuilder.DropTable(
                name: "AnalyticsMemberDays");

            migrationBuilder.DropTable(
                name: "AnalyticsMemberMonths");

            migrationBuilder.DropTable(
                name: "AnalyticsRuleDaily");

            migrationBuilder.DropTable(
                name: "AnalyticsRuleMemberDays");

            migrationBuilder.DropTable(
                name: "AnalyticsStates");

            migrationBuilder.DropTable(
                name: "AnalyticsTierCounts");

            migrationBuilder.DropTable(
                name: "AnalyticsTierMigrations");
        }
    }
}
