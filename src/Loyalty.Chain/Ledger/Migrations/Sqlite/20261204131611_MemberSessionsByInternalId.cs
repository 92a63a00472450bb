using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Loyalty.Chain.Ledger.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class MemberSessionsByInternalId : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Sessions named the member by external id; they name it by internal id now. An open session is kept (its
            // member found by program and external id); one whose member is gone is ended first (the column is NOT NULL).
            migrationBuilder.Sql("""
                DELETE FROM "MemberSessions" WHERE NOT EXISTS (SELECT 1 FROM "Members" m
                    WHERE m."ProgramId" = "MemberSessions"."ProgramId" AND m."ExternalId" = "MemberSessions"."MemberId")
                """);
            migrationBuilder.Sql("""
                UPDATE "MemberSessions" SET "MemberId" = (SELECT CAST(m."Id" AS TEXT) FROM "Members" m
                    WHERE m."ProgramId" = "MemberSessions"."ProgramId" AND m."ExternalId" = "MemberSessions"."MemberId")
                """);

            migrationBuilder.AlterColumn<long>(
                name: "MemberId",
                table: "MemberSessions",
                type: "INTEGER",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldMaxLength: 128);

            migrationBuilder.CreateIndex(
                name: "IX_MemberSessions_MemberId",
                table: "MemberSessions",
                column: "MemberId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_MemberSessions_MemberId",
                table: "MemberSessions");

            // Back to external ids: sessions live 30 minutes, so the open ones are ended rather than converted.
            migrationBuilder.Sql("""DELETE FROM "MemberSessions" """);

            migrationBuilder.AlterColumn<string>(
                name: "MemberId",
                table: "MemberSessions",
                type: "TEXT",
                maxLength: 128,
                nullable: false,
                oldClrType: typeof(long),
                oldType: "INTEGER");
        }
    }
}
