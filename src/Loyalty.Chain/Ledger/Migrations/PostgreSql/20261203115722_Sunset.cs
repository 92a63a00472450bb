using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Loyalty.Chain.Ledger.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class Sunset : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ProgramSunsets",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    EndsAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    State = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    RequestedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    RequestedBy = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    EndedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    SnapshotBlock = table.Column<long>(type: "bigint", nullable: true),
                    SnapshotBlockHash = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: true),
                    SnapshotAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    PointsRoot = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: true),
                    PointsLeafCount = table.Column<int>(type: "integer", nullable: true),
                    CollectiblesRoot = table.Column<string>(type: "character varying(66)", maxLength: 66, nullable: true),
                    CollectiblesLeafCount = table.Column<int>(type: "integer", nullable: true),
                    Snapshot = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ProgramSunsets", x => x.ProgramId);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ProgramSunsets_State_EndsAt",
                table: "ProgramSunsets",
                columns: new[] { "State", "EndsAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ProgramSunsets");
        }
    }
}
