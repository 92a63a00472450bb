using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Loyalty.Chain.Ledger.Migrations.Sqlite
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
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    EndsAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    State = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    RequestedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    RequestedBy = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    EndedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    SnapshotBlock = table.Column<long>(type: "INTEGER", nullable: true),
                    SnapshotBlockHash = table.Column<string>(type: "TEXT", maxLength: 66, nullable: true),
                    SnapshotAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    PointsRoot = table.Column<string>(type: "TEXT", maxLength: 66, nullable: true),
                    PointsLeafCount = table.Column<int>(type: "INTEGER", nullable: true),
                    CollectiblesRoot = table.Column<string>(type: "TEXT", maxLength: 66, nullable: true),
                    CollectiblesLeafCount = table.Column<int>(type: "INTEGER", nullable: true),
                    Snapshot = table.Column<string>(type: "TEXT", nullable: true)
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
