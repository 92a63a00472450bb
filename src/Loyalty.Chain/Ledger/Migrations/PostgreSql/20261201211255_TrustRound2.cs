using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Loyalty.Chain.Ledger.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class TrustRound2 : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_IdempotencyKeys_ProgramId_Key",
                table: "IdempotencyKeys");

            migrationBuilder.AddColumn<long>(
                name: "RequestId",
                table: "Withdrawals",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Address",
                table: "SiweNonces",
                type: "character varying(42)",
                maxLength: 42,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<long>(
                name: "MemberId",
                table: "SiweNonces",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<int>(
                name: "BurnAttempts",
                table: "Redemptions",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "IssuedAt",
                table: "Redemptions",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "VoidedAt",
                table: "Redemptions",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Scope",
                table: "IdempotencyKeys",
                type: "character varying(32)",
                maxLength: 32,
                nullable: false,
                defaultValue: "");

            // Keys stored before scopes carried their endpoint as a prefix (redemptions, drops) or none (events).
            migrationBuilder.Sql("UPDATE \"IdempotencyKeys\" SET \"Scope\" = 'redemptions', \"Key\" = substr(\"Key\", 8) WHERE \"Key\" LIKE 'redeem:%'");
            migrationBuilder.Sql("UPDATE \"IdempotencyKeys\" SET \"Scope\" = 'drops', \"Key\" = substr(\"Key\", 7) WHERE \"Key\" LIKE 'drops:%' AND \"Scope\" = ''");
            migrationBuilder.Sql("UPDATE \"IdempotencyKeys\" SET \"Scope\" = 'events' WHERE \"Scope\" = ''");

            migrationBuilder.AddColumn<DateTime>(
                name: "VoidedAt",
                table: "CouponCodes",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "AlertOpen",
                table: "ChainTxs",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "NonceLostPasses",
                table: "ChainTxs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "OutcomeHandledAt",
                table: "ChainTxs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "AssetMoveAudits",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    MemberId = table.Column<long>(type: "bigint", nullable: false),
                    Action = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Actor = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Address = table.Column<string>(type: "character varying(42)", maxLength: 42, nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AssetMoveAudits", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Leases",
                columns: table => new
                {
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Holder = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Leases", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "WithdrawalRequests",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    MemberId = table.Column<long>(type: "bigint", nullable: false),
                    To = table.Column<string>(type: "character varying(42)", maxLength: 42, nullable: false),
                    Status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    NotBefore = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WithdrawalRequests", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_SiweNonces_MemberId_UsedAt",
                table: "SiweNonces",
                columns: new[] { "MemberId", "UsedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_IdempotencyKeys_ProgramId_Scope_Key",
                table: "IdempotencyKeys",
                columns: new[] { "ProgramId", "Scope", "Key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ChainTxs_OutcomeHandledAt_Status",
                table: "ChainTxs",
                columns: new[] { "OutcomeHandledAt", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_AssetMoveAudits_ProgramId_Id",
                table: "AssetMoveAudits",
                columns: new[] { "ProgramId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_WithdrawalRequests_MemberId_Status",
                table: "WithdrawalRequests",
                columns: new[] { "MemberId", "Status" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AssetMoveAudits");

            migrationBuilder.DropTable(
                name: "Leases");

            migrationBuilder.DropTable(
                name: "WithdrawalRequests");

            migrationBuilder.DropIndex(
                name: "IX_SiweNonces_MemberId_UsedAt",
                table: "SiweNonces");

            migrationBuilder.DropIndex(
                name: "IX_IdempotencyKeys_ProgramId_Scope_Key",
                table: "IdempotencyKeys");

            migrationBuilder.DropIndex(
                name: "IX_ChainTxs_OutcomeHandledAt_Status",
                table: "ChainTxs");

            migrationBuilder.DropColumn(
                name: "RequestId",
                table: "Withdrawals");

            migrationBuilder.DropColumn(
                name: "Address",
                table: "SiweNonces");

            migrationBuilder.DropColumn(
                name: "MemberId",
                table: "SiweNonces");

            migrationBuilder.DropColumn(
                name: "BurnAttempts",
                table: "Redemptions");

            migrationBuilder.DropColumn(
                name: "IssuedAt",
                table: "Redemptions");

            migrationBuilder.DropColumn(
                name: "VoidedAt",
                table: "Redemptions");

            migrationBuilder.DropColumn(
                name: "Scope",
                table: "IdempotencyKeys");

            migrationBuilder.DropColumn(
                name: "VoidedAt",
                table: "CouponCodes");

            migrationBuilder.DropColumn(
                name: "AlertOpen",
                table: "ChainTxs");

            migrationBuilder.DropColumn(
                name: "NonceLostPasses",
                table: "ChainTxs");

            migrationBuilder.DropColumn(
                name: "OutcomeHandledAt",
                table: "ChainTxs");

            migrationBuilder.CreateIndex(
                name: "IX_IdempotencyKeys_ProgramId_Key",
                table: "IdempotencyKeys",
                columns: new[] { "ProgramId", "Key" },
                unique: true);
        }
    }
}
