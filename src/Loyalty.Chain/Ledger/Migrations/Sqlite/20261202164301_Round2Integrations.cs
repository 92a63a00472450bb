using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Loyalty.Chain.Ledger.Migrations.Sqlite
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
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Cohort = table.Column<int>(type: "INTEGER", nullable: false),
                    Offset = table.Column<int>(type: "INTEGER", nullable: false),
                    ActiveMembers = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsCohortMonths", x => new { x.ProgramId, x.Cohort, x.Offset });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsDaily",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Day = table.Column<int>(type: "INTEGER", nullable: false),
                    NewMembers = table.Column<long>(type: "INTEGER", nullable: false),
                    ActiveMembers = table.Column<long>(type: "INTEGER", nullable: false),
                    Purchases = table.Column<long>(type: "INTEGER", nullable: false),
                    PurchaseAmount = table.Column<long>(type: "INTEGER", nullable: false),
                    Accruals = table.Column<long>(type: "INTEGER", nullable: false),
                    PointsIssued = table.Column<long>(type: "INTEGER", nullable: false),
                    PointsRedeemed = table.Column<long>(type: "INTEGER", nullable: false),
                    PointsExpired = table.Column<long>(type: "INTEGER", nullable: false),
                    PointsClawedBack = table.Column<long>(type: "INTEGER", nullable: false),
                    GasWei = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsDaily", x => new { x.ProgramId, x.Day });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsGasBatches",
                columns: table => new
                {
                    BatchId = table.Column<long>(type: "INTEGER", nullable: false),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsGasBatches", x => x.BatchId);
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsMemberDays",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Day = table.Column<int>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Purchases = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsMemberDays", x => new { x.ProgramId, x.Day, x.MemberId });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsMemberMonths",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Month = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsMemberMonths", x => new { x.ProgramId, x.MemberId, x.Month });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsRuleDaily",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Day = table.Column<int>(type: "INTEGER", nullable: false),
                    RuleId = table.Column<long>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Points = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsRuleDaily", x => new { x.ProgramId, x.Day, x.RuleId });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsRuleMemberDays",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    RuleId = table.Column<long>(type: "INTEGER", nullable: false),
                    Day = table.Column<int>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsRuleMemberDays", x => new { x.ProgramId, x.RuleId, x.Day, x.MemberId });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsStates",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    LedgerHwm = table.Column<long>(type: "INTEGER", nullable: false),
                    EventHwm = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberHwm = table.Column<long>(type: "INTEGER", nullable: false),
                    TierChangeHwm = table.Column<long>(type: "INTEGER", nullable: false),
                    BatchHwm = table.Column<long>(type: "INTEGER", nullable: false),
                    MembersTotal = table.Column<long>(type: "INTEGER", nullable: false),
                    Pending = table.Column<long>(type: "INTEGER", nullable: false),
                    Available = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsStates", x => x.ProgramId);
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsTierCounts",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Tier = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Members = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsTierCounts", x => new { x.ProgramId, x.Tier });
                });

            migrationBuilder.CreateTable(
                name: "AnalyticsTierMigrations",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Day = table.Column<int>(type: "INTEGER", nullable: false),
                    From = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    To = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Members = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AnalyticsTierMigrations", x => new { x.ProgramId, x.Day, x.From, x.To });
                });

            migrationBuilder.CreateTable(
                name: "MemberSessions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    SecretHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    CsrfHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Method = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    EndedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MemberSessions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "WebhookEndpoints",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Url = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    EventTypes = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    Enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    DisabledReason = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    LastDeliveryAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    FailingSince = table.Column<DateTime>(type: "TEXT", nullable: true),
                    ConsecutiveDead = table.Column<int>(type: "INTEGER", nullable: false),
                    SecretGeneration = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WebhookEndpoints", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "WebhookEvents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    MessageId = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    Type = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: true),
                    Payload = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    FannedOut = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WebhookEvents", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "WebhookDeliveries",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    EndpointId = table.Column<long>(type: "INTEGER", nullable: false),
                    EventId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: true),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    LastStatusCode = table.Column<int>(type: "INTEGER", nullable: true),
                    LastError = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true),
                    NextAttemptAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    DeliveredAt = table.Column<DateTime>(type: "TEXT", nullable: true)
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
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    EndpointId = table.Column<long>(type: "INTEGER", nullable: false),
                    Generation = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ValidUntil = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Secret_Ciphertext = table.Column<byte[]>(type: "BLOB", nullable: false),
                    Secret_KeyId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Secret_Nonce = table.Column<byte[]>(type: "BLOB", maxLength: 12, nullable: false),
                    Secret_Tag = table.Column<byte[]>(type: "BLOB", maxLength: 16, nullable: false),
                    Secret_WrappedKey = table.Column<byte[]>(type: "BLOB", nullable: false)
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
