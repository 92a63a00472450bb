using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Loyalty.Chain.Ledger.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ChainTxStateMachine : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "AlertOpen",
                table: "ChainTxs",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "NonceLostPasses",
                table: "ChainTxs",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "OutcomeHandledAt",
                table: "ChainTxs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_ChainTxs_OutcomeHandledAt_Status",
                table: "ChainTxs",
                columns: new[] { "OutcomeHandledAt", "Status" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ChainTxs_OutcomeHandledAt_Status",
                table: "ChainTxs");

            migrationBuilder.DropColumn(
                name: "AlertOpen",
                table: "ChainTxs");

            migrationBuilder.DropColumn(
                name: "NonceLostPasses",
                table: "ChainTxs");

            migrationBuilder.DropColumn(
                name: "OutcomeHandledAt",
                table: "ChainTxs");
        }
    }
}
