using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Loyalty.Chain.Ledger.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class Round2Integrations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "AnalyticsCohortMonths",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    Cohort = table.Column<int>(type: "integer", nullable: false),
                    Offset = table.Column<int>(type: "integer", nullable: false),
                    ActiveMembers = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsCohortMonths", x => new { x.ProgramId, x.Cohort, x.Offset });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsDaily",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    Day = table.Column<int>(type: "integer", nullable: false),
                    NewMembers = table.Column<long>(type: "bigint", nullable: false),
                    ActiveMembers = table.Column<long>(type: "bigint", nullable: false),
                    Purchases = table.Column<long>(type: "bigint", nullable: false),
                    PurchaseAmount = table.Column<long>(type: "bigint", nullable: false),
                    Accruals = table.Column<long>(type: "bigint", nullable: false),
                    PointsIssued = table.Column<long>(type: "bigint", nullable: false),
                    PointsRedeemed = table.Column<long>(type: "bigint", nullable: false),
                    PointsExpired = table.Column<long>(type: "bigint", nullable: false),
                    PointsClawedBack = table.Column<long>(type: "bigint", nullable: false),
                    GasWei = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsDaily", x => new { x.ProgramId, x.Day });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsGasBatches",
                columns: table => new
                {
                    BatchId = table.Column<long>(type: "bigint", nullable: false),
                    ProgramId = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsGasBatches", x => x.BatchId);
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsMemberDays",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    Day = table.Column<int>(type: "integer", nullable: false),
                    MemberId = table.Column<long>(type: "bigint", nullable: false),
                    Purchases = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsMemberDays", x => new { x.ProgramId, x.Day, x.MemberId });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsMemberMonths",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    MemberId = table.Column<long>(type: "bigint", nullable: false),
                    Month = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsMemberMonths", x => new { x.ProgramId, x.MemberId, x.Month });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsRuleDaily",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    Day = table.Column<int>(type: "integer", nullable: false),
                    RuleId = table.Column<long>(type: "bigint", nullable: false),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Points = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsRuleDaily", x => new { x.ProgramId, x.Day, x.RuleId });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsRuleMemberDays",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    RuleId = table.Column<long>(type: "bigint", nullable: false),
                    Day = table.Column<int>(type: "integer", nullable: false),
                    MemberId = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsRuleMemberDays", x => new { x.ProgramId, x.RuleId, x.Day, x.MemberId });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsStates",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    LedgerHwm = table.Column<long>(type: "bigint", nullable: false),
                    EventHwm = table.Column<long>(type: "bigint", nullable: false),
                    MemberHwm = table.Column<long>(type: "bigint", nullable: false),
                    TierChangeHwm = table.Column<long>(type: "bigint", nullable: false),
                    BatchHwm = table.Column<long>(type: "bigint", nullable: false),
                    MembersTotal = table.Column<long>(type: "bigint", nullable: false),
                    Pending = table.Column<long>(type: "bigint", nullable: false),
                    Available = table.Column<long>(type: "bigint", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsStates", x => x.ProgramId);
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsTierCounts",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    Tier = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Members = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsTierCounts", x => new { x.ProgramId, x.Tier });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsTierMigrations",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    Day = table.Column<int>(type: "integer", nullable: false),
                    From = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    To = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Members = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsTierMigrations", x => new { x.ProgramId, x.Day, x.From, x.To });
                });

            migrationBuilder.CreateTable(
                name: "MemberSessions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    SecretHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CsrfHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    MemberId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    Method = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    EndedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MemberSessions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "WebhookEndpoints",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    Url = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    EventTypes = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    Description = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    Enabled = table.Column<bool>(type: "boolean", nullable: false),
                    DisabledReason = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    LastDeliveryAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    FailingSince = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    ConsecutiveDead = table.Column<int>(type: "integer", nullable: false),
                    SecretGeneration = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WebhookEndpoints", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "WebhookEvents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    MessageId = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Type = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    MemberId = table.Column<long>(type: "bigint", nullable: true),
                    Payload = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    FannedOut = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WebhookEvents", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "WebhookDeliveries",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ProgramId = table.Column<long>(type: "bigint", nullable: false),
                    EndpointId = table.Column<long>(type: "bigint", nullable: false),
                    EventId = table.Column<long>(type: "bigint", nullable: false),
                    MemberId = table.Column<long>(type: "bigint", nullable: true),
                    Status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    LastStatusCode = table.Column<int>(type: "integer", nullable: true),
                    LastError = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                    NextAttemptAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    DeliveredAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WebhookDeliveries", x => x.Id);
                    table.ForeignKey(
                        name: "FK_WebhookDeliveries_WebhookEndpoints_EndpointId",
                        column: x => x.EndpointId,
                        principalTable: "WebhookEndpoints",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "WebhookSecrets",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    EndpointId = table.Column<long>(type: "bigint", nullable: false),
                    Generation = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ValidUntil = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Secret_Ciphertext = table.Column<byte[]>(type: "bytea", nullable: false),
                    Secret_KeyId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Secret_Nonce = table.Column<byte[]>(type: "bytea", maxLength: 12, nullable: false),
                    Secret_Tag = table.Column<byte[]>(type: "bytea", maxLength: 16, nullable: false),
                    Secret_WrappedKey = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WebhookSecrets", x => x.Id);
                    table.ForeignKey(
                        name: "FK_WebhookSecrets_WebhookEndpoints_EndpointId",
                        column: x => x.EndpointId,
                        principalTable: "WebhookEndpoints",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_MemberSessions_ExpiresAt",
                table: "MemberSessions",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_MemberSessions_SecretHash",
                table: "MemberSessions",
                column: "SecretHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_WebhookDeliveries_EndpointId_MemberId_Id",
                table: "WebhookDeliveries",
                columns: new[] { "EndpointId", "MemberId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_WebhookDeliveries_EventId_EndpointId",
                table: "WebhookDeliveries",
                columns: new[] { "EventId", "EndpointId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_WebhookDeliveries_Status_NextAttemptAt",
                table: "WebhookDeliveries",
                columns: new[] { "Status", "NextAttemptAt" });

            migrationBuilder.CreateIndex(
                name: "IX_WebhookEndpoints_ProgramId",
                table: "WebhookEndpoints",
                column: "ProgramId");

            migrationBuilder.CreateIndex(
                name: "IX_WebhookEvents_FannedOut_Id",
                table: "WebhookEvents",
                columns: new[] { "FannedOut", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_WebhookEvents_MessageId",
                table: "WebhookEvents",
                column: "MessageId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_WebhookSecrets_EndpointId_Generation",
                table: "WebhookSecrets",
                columns: new[] { "EndpointId", "Generation" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AnalyticsCohortMonths");

            migrationBuilder.DropTable(
                name: "AnalyticsDaily");

            migrationBuilder.DropTable(
                name: "AnalyticsGasBatches");

            migrationBuilder.DropTable(
                name: "AnalyticsMemberDays");

            migrationBuilder.DropTable(
                name: "AnalyticsMemberMonths");

            migrationBuilder.DropTable(
                name: "AnalyticsRuleDaily");

            migrationBuilder.DropTable(
                name: "AnalyticsRuleMemberDays");

            migrationBuilder.DropTable(
                name: "AnalyticsStates");

            migrationBuilder.DropTable(
                name: "AnalyticsTierCounts");

            migrationBuilder.DropTable(
                name: "AnalyticsTierMigrations");

            migrationBuilder.DropTable(
                name: "MemberSessions");

            migrationBuilder.DropTable(
                name: "WebhookDeliveries");

            migrationBuilder.DropTable(
                name: "WebhookEvents");

            migrationBuilder.DropTable(
                name: "WebhookSecrets");

            migrationBuilder.DropTable(
                name: "WebhookEndpoints");
        }
    }
}
