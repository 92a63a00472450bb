using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Loyalty.Chain.Ledger.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AnalyticsRebuilds : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "PK_AnalyticsGasBatches",
                table: "AnalyticsGasBatches");

            migrationBuilder.AddPrimaryKey(
                name: "PK_AnalyticsGasBatches",
                table: "AnalyticsGasBatches",
                columns: new[] { "ProgramId", "BatchId" });

            migrationBuilder.CreateTable(
                name: "AnalyticsRebuilds",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Key = table.Column<long>(type: "INTEGER", nullable: false),
                    RequestedBy = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    RequestedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    StartedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    CompletedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    RowsFolded = table.Column<long>(type: "INTEGER", nullable: false),
                    Error = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsRebuilds", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_AnalyticsRebuilds_Active",
                table: "AnalyticsRebuilds",
                column: "ProgramId",
                unique: true,
                filter: "\"Status\" IN ('Queued', 'Running')");

            migrationBuilder.CreateIndex(
                name: "IX_AnalyticsRebuilds_ProgramId_Id",
                table: "AnalyticsRebuilds",
                columns: new[] { "ProgramId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_AnalyticsRebuilds_Status_Id",
                table: "AnalyticsRebuilds",
                columns: new[] { "Status", "Id" });

            // Data: roll-ups folded before 91d86da count every member of a tier policy twice (the enrolment placement on top
            // of the current tier). Every program rolled up so far gets a queued rebuild, so after the upgrade its figures are
            // a fresh fold's (AnalyticsRebuilder runs them one program at a time; the old figures answer until each is done).
            migrationBuilder.Sql("""
                INSERT INTO "AnalyticsRebuilds" ("ProgramId", "Status", "Key", "RequestedBy", "RequestedAt", "RowsFolded")
                SELECT "ProgramId", 'Queued', 0, 'upgrade', strftime('%Y-%m-%d %H:%M:%f', 'now'), 0 FROM "AnalyticsStates" WHERE "ProgramId" > 0
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AnalyticsRebuilds");

            migrationBuilder.DropPrimaryKey(
                name: "PK_AnalyticsGasBatches",
                table: "AnalyticsGasBatches");

            migrationBuilder.AddPrimaryKey(
                name: "PK_AnalyticsGasBatches",
                table: "AnalyticsGasBatches",
                column: "BatchId");
        }
    }
}
