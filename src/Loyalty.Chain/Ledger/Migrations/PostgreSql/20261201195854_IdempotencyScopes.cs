using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Loyalty.Chain.Ledger.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class IdempotencyScopes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_IdempotencyKeys_ProgramId_Key",
                table: "IdempotencyKeys");

            migrationBuilder.AddColumn<string>(
                name: "Scope",
                table: "IdempotencyKeys",
                type: "character varying(32)",
                maxLength: 32,
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateIndex(
                name: "IX_IdempotencyKeys_ProgramId_Scope_Key",
                table: "IdempotencyKeys",
                columns: new[] { "ProgramId", "Scope", "Key" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_IdempotencyKeys_ProgramId_Scope_Key",
                table: "IdempotencyKeys");

            migrationBuilder.DropColumn(
                name: "Scope",
                table: "IdempotencyKeys");

            migrationBuilder.CreateIndex(
                name: "IX_IdempotencyKeys_ProgramId_Key",
                table: "IdempotencyKeys",
                columns: new[] { "ProgramId", "Key" },
                unique: true);
        }
    }
}
