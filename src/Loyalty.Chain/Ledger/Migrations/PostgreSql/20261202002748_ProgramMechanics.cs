using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Loyalty.Chain.Ledger.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class ProgramMechanics : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "CouponValidDays",
                table: "Rewards",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Kind",
                table: "Redemptions",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "Reward");

            migrationBuilder.AddColumn<int>(
                name: "ExpiryDays",
                table: "Programs",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ExpiryMonths",
                table: "Programs",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ExpiryPolicy",
                table: "Programs",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "None");

            migrationBuilder.AddColumn<bool>(
                name: "ExpiryRoundToMonthEnd",
                table: "Programs",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "ReturnPolicy",
                table: "Programs",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "Keep");

            migrationBuilder.AddColumn<DateTime>(
                name: "BlockedAt",
                table: "Members",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "BlockedReason",
                table: "Members",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Consents",
                table: "MemberProfiles",
                type: "text",
                nullable: false,
                defaultValueSql: "'{}'");

            migrationBuilder.AddColumn<long>(
                name: "Unrecovered",
                table: "Events",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<DateTime>(
                name: "ExpiresAt",
                table: "CouponCodes",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "UsedAt",
                table: "CouponCodes",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "UsedByKeyId",
                table: "CouponCodes",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "UsedOrderId",
                table: "CouponCodes",
                type: "character varying(128)",
                maxLength: 128,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Adjustments",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    MemberId = table.Column<long>(type: "bigint", nullable: false),
                    Type = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Points = table.Column<long>(type: "bigint", nullable: false),
                    Applied = table.Column<long>(type: "bigint", nullable: false),
                    Shortfall = table.Column<long>(type: "bigint", nullable: false),
                    CancelledBeforeMint = table.Column<long>(type: "bigint", nullable: false),
                    Burned = table.Column<long>(type: "bigint", nullable: false),
                    BurnId = table.Column<long>(type: "bigint", nullable: true),
                    MintIntentId = table.Column<long>(type: "bigint", nullable: true),
                    Reason = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Comment = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    Actor = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Adjustments", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "LotDraws",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    LotId = table.Column<long>(type: "bigint", nullable: false),
                    MemberId = table.Column<long>(type: "bigint", nullable: false),
                    Amount = table.Column<long>(type: "bigint", nullable: false),
                    Ref = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Restored = table.Column<bool>(type: "boolean", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LotDraws", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "MemberBlockAudits",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    MemberId = table.Column<long>(type: "bigint", nullable: false),
                    Action = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Reason = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Actor = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MemberBlockAudits", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "MemberTierStates",
                columns: table => new
                {
                    MemberId = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    Earned = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Legacy = table.Column<bool>(type: "boolean", nullable: false),
                    EarnedSince = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    PeriodEnd = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    GraceUntil = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Invited = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    InvitedSince = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Purchased = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    PurchasedSince = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    PurchasedUntil = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Effective = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    EffectiveSince = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MemberTierStates", x => x.MemberId);
                });

            migrationBuilder.CreateTable(
                name: "PointLots",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    MemberId = table.Column<long>(type: "bigint", nullable: false),
                    Amount = table.Column<long>(type: "bigint", nullable: false),
                    Remaining = table.Column<long>(type: "bigint", nullable: false),
                    Source = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    AvailableAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    MintIntentId = table.Column<long>(type: "bigint", nullable: true),
                    AccrualId = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PointLots", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "TierBuckets",
                columns: table => new
                {
                    MemberId = table.Column<long>(type: "bigint", nullable: false),
                    Month = table.Column<int>(type: "integer", nullable: false),
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    Points = table.Column<long>(type: "bigint", nullable: false),
                    Spent = table.Column<long>(type: "bigint", nullable: false),
                    Events = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TierBuckets", x => new { x.MemberId, x.Month });
                });

            migrationBuilder.CreateTable(
                name: "TierChanges",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    MemberId = table.Column<long>(type: "bigint", nullable: false),
                    From = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    To = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Reason = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TierChanges", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "TierPolicies",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Metric = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    QualifyingEventTypes = table.Column<string>(type: "text", nullable: false),
                    Window = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    WindowMonths = table.Column<int>(type: "integer", nullable: true),
                    Downgrade = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    GraceDays = table.Column<int>(type: "integer", nullable: false),
                    Levels = table.Column<string>(type: "text", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TierPolicies", x => x.ProgramId);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Members_ProgramId_Id",
                table: "Members",
                columns: new[] { "ProgramId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Events_ProgramId_Id",
                table: "Events",
                columns: new[] { "ProgramId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Adjustments_ProgramId_MemberId_Id",
                table: "Adjustments",
                columns: new[] { "ProgramId", "MemberId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_LotDraws_MemberId_Ref",
                table: "LotDraws",
                columns: new[] { "MemberId", "Ref" });

            migrationBuilder.CreateIndex(
                name: "IX_MemberBlockAudits_ProgramId_MemberId_Id",
                table: "MemberBlockAudits",
                columns: new[] { "ProgramId", "MemberId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_MemberTierStates_ProgramId_GraceUntil",
                table: "MemberTierStates",
                columns: new[] { "ProgramId", "GraceUntil" });

            migrationBuilder.CreateIndex(
                name: "IX_MemberTierStates_ProgramId_PeriodEnd",
                table: "MemberTierStates",
                columns: new[] { "ProgramId", "PeriodEnd" });

            migrationBuilder.CreateIndex(
                name: "IX_MemberTierStates_ProgramId_PurchasedUntil",
                table: "MemberTierStates",
                columns: new[] { "ProgramId", "PurchasedUntil" });

            migrationBuilder.CreateIndex(
                name: "IX_PointLots_MemberId_Remaining",
                table: "PointLots",
                columns: new[] { "MemberId", "Remaining" });

            migrationBuilder.CreateIndex(
                name: "IX_PointLots_ProgramId_ExpiresAt",
                table: "PointLots",
                columns: new[] { "ProgramId", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_TierBuckets_ProgramId",
                table: "TierBuckets",
                column: "ProgramId");

            migrationBuilder.CreateIndex(
                name: "IX_TierChanges_ProgramId_MemberId_Id",
                table: "TierChanges",
                columns: new[] { "ProgramId", "MemberId", "Id" });
                    // Books from before lots: each member's available balance opens as one lot that never expires.
            migrationBuilder.Sql(@"INSERT INTO ""PointLots"" (""ProgramId"", ""MemberId"", ""Amount"", ""Remaining"", ""Source"", ""AvailableAt"")
                SELECT ""ProgramId"", ""MemberId"", ""Available"", ""Available"", 'Legacy', now() FROM ""MemberBalances"" WHERE ""Available"" > 0");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Adjustments");

            migrationBuilder.DropTable(
                name: "LotDraws");

            migrationBuilder.DropTable(
                name: "MemberBlockAudits");

            migrationBuilder.DropTable(
                name: "MemberTierStates");

            migrationBuilder.DropTable(
                name: "PointLots");

            migrationBuilder.DropTable(
                name: "TierBuckets");

            migrationBuilder.DropTable(
                name: "TierChanges");

            migrationBuilder.DropTable(
                name: "TierPolicies");

            migrationBuilder.DropIndex(
                name: "IX_Members_ProgramId_Id",
                table: "Members");

            migrationBuilder.DropIndex(
                name: "IX_Events_ProgramId_Id",
                table: "Events");

            migrationBuilder.DropColumn(
                name: "CouponValidDays",
                table: "Rewards");

            migrationBuilder.DropColumn(
                name: "Kind",
                table: "Redemptions");

            migrationBuilder.DropColumn(
                name: "ExpiryDays",
                table: "Programs");

            migrationBuilder.DropColumn(
                name: "ExpiryMonths",
                table: "Programs");

            migrationBuilder.DropColumn(
                name: "ExpiryPolicy",
                table: "Programs");

            migrationBuilder.DropColumn(
                name: "ExpiryRoundToMonthEnd",
                table: "Programs");

            migrationBuilder.DropColumn(
                name: "ReturnPolicy",
                table: "Programs");

            migrationBuilder.DropColumn(
                name: "BlockedAt",
                table: "Members");

            migrationBuilder.DropColumn(
                name: "BlockedReason",
                table: "Members");

            migrationBuilder.DropColumn(
                name: "Consents",
                table: "MemberProfiles");

            migrationBuilder.DropColumn(
                name: "Unrecovered",
                table: "Events");

            migrationBuilder.DropColumn(
                name: "ExpiresAt",
                table: "CouponCodes");

            migrationBuilder.DropColumn(
                name: "UsedAt",
                table: "CouponCodes");

            migrationBuilder.DropColumn(
                name: "UsedByKeyId",
                table: "CouponCodes");

            migrationBuilder.DropColumn(
                name: "UsedOrderId",
                table: "CouponCodes");
        }
    }
}
