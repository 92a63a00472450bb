using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Loyalty.Chain.Ledger.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class ProgramKeysAndOwnership : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Programs from before the key split keep null key columns: the operator then holds every role, as it did.
            migrationBuilder.AddColumn<string>(
                name: "AdminAddress",
                table: "Programs",
                type: "character varying(42)",
                maxLength: 42,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "BrandAdmin",
                table: "Programs",
                type: "character varying(42)",
                maxLength: 42,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ClaimSignerAddress",
                table: "Programs",
                type: "character varying(42)",
                maxLength: 42,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "HandoverAttempt",
                table: "Programs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "HandoverDetail",
                table: "Programs",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "HandoverStatus",
                table: "Programs",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "None");

            migrationBuilder.AddColumn<string>(
                name: "MinterAddress",
                table: "Programs",
                type: "character varying(42)",
                maxLength: 42,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "PendingMinterAddress",
                table: "Programs",
                type: "character varying(42)",
                maxLength: 42,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RetiringMinterAddress",
                table: "Programs",
                type: "character varying(42)",
                maxLength: 42,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "RotationAttempt",
                table: "Programs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "RotationChangedAt",
                table: "Programs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RotationDetail",
                table: "Programs",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RotationStatus",
                table: "Programs",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "None");

            migrationBuilder.CreateTable(
                name: "KeyRoleAudits",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    Action = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Actor = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Address = table.Column<string>(type: "character varying(42)", maxLength: 42, nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_KeyRoleAudits", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_KeyRoleAudits_ProgramId_Id",
                table: "KeyRoleAudits",
                columns: new[] { "ProgramId", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "KeyRoleAudits");

            migrationBuilder.DropColumn(
                name: "AdminAddress",
                table: "Programs");

            migrationBuilder.DropColumn(
                name: "BrandAdmin",
                table: "Programs");

            migrationBuilder.DropColumn(
                name: "ClaimSignerAddress",
                table: "Programs");

            migrationBuilder.DropColumn(
                name: "HandoverAttempt",
                table: "Programs");

            migrationBuilder.DropColumn(
                name: "HandoverDetail",
                table: "Programs");

            migrationBuilder.DropColumn(
                name: "HandoverStatus",
                table: "Programs");

            migrationBuilder.DropColumn(
                name: "MinterAddress",
                table: "Programs");

            migrationBuilder.DropColumn(
                name: "PendingMinterAddress",
                table: "Programs");

            migrationBuilder.DropColumn(
                name: "RetiringMinterAddress",
                table: "Programs");

            migrationBuilder.DropColumn(
                name: "RotationAttempt",
                table: "Programs");

            migrationBuilder.DropColumn(
                name: "RotationChangedAt",
                table: "Programs");

            migrationBuilder.DropColumn(
                name: "RotationDetail",
                table: "Programs");

            migrationBuilder.DropColumn(
                name: "RotationStatus",
                table: "Programs");
        }
    }
}
