using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Loyalty.Chain.Ledger.Migrations.PostgreSql
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
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    Status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Key = table.Column<long>(type: "bigint", nullable: false),
                    RequestedBy = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    RequestedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    StartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CompletedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    RowsFolded = table.Column<long>(type: "bigint", nullable: false),
                    Error = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true)
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
                SELECT "ProgramId", 'Queued', 0, 'upgrade', now(), 0 FROM "AnalyticsStates" WHERE "ProgramId" > 0
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
