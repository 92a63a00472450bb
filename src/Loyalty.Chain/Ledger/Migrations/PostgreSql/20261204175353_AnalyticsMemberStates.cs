using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Loyalty.Chain.Ledger.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class AnalyticsMemberStates : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "AnalyticsMemberStates",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    MemberId = table.Column<long>(type: "bigint", nullable: false),
                    LastActiveDay = table.Column<int>(type: "integer", nullable: false),
                    LastPurchaseDay = table.Column<int>(type: "integer", nullable: true),
                    PrevPurchaseDay = table.Column<int>(type: "integer", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsMemberStates", x => new { x.ProgramId, x.MemberId });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsMonthly",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    Month = table.Column<int>(type: "integer", nullable: false),
                    ActiveMembers = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsMonthly", x => new { x.ProgramId, x.Month });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsRuleMemberStates",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    RuleId = table.Column<long>(type: "bigint", nullable: false),
                    MemberId = table.Column<long>(type: "bigint", nullable: false),
                    LastDay = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsRuleMemberStates", x => new { x.ProgramId, x.RuleId, x.MemberId });
                });

            migrationBuilder.CreateIndex(
                name: "IX_AnalyticsMemberStates_ProgramId_LastActiveDay",
                table: "AnalyticsMemberStates",
                columns: new[] { "ProgramId", "LastActiveDay" });

            migrationBuilder.CreateIndex(
                name: "IX_AnalyticsMemberStates_ProgramId_LastPurchaseDay",
                table: "AnalyticsMemberStates",
                columns: new[] { "ProgramId", "LastPurchaseDay" });

            migrationBuilder.CreateIndex(
                name: "IX_AnalyticsMemberStates_ProgramId_PrevPurchaseDay",
                table: "AnalyticsMemberStates",
                columns: new[] { "ProgramId", "PrevPurchaseDay" });

            migrationBuilder.CreateIndex(
                name: "IX_AnalyticsRuleMemberStates_ProgramId_RuleId_LastDay",
                table: "AnalyticsRuleMemberStates",
                columns: new[] { "ProgramId", "RuleId", "LastDay" });

            // The new rows of what was folded before them, exactly as the fold would have written them.
            migrationBuilder.Sql(Loyalty.Chain.Analytics.AnalyticsBackfill.Sql);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AnalyticsMemberStates");

            migrationBuilder.DropTable(
                name: "AnalyticsMonthly");

            migrationBuilder.DropTable(
                name: "AnalyticsRuleMemberStates");
        }
    }
}
