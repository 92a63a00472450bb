using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Loyalty.Chain.Ledger.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Accruals",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    EventId = table.Column<long>(type: "INTEGER", nullable: false),
                    Points = table.Column<long>(type: "INTEGER", nullable: false),
                    ClawedBack = table.Column<long>(type: "INTEGER", nullable: false),
                    MaturesAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    MintIntentId = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Accruals", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Alerts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Code = table.Column<string>(type: "TEXT", nullable: false),
                    Subject = table.Column<string>(type: "TEXT", nullable: false),
                    Message = table.Column<string>(type: "TEXT", nullable: false),
                    RaisedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ResolvedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Alerts", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ApiKeys",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Role = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Name = table.Column<string>(type: "TEXT", nullable: false),
                    Prefix = table.Column<string>(type: "TEXT", nullable: false),
                    Hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    RevokedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ApiKeys", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ChainTxs",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ChainId = table.Column<long>(type: "INTEGER", nullable: false),
                    From = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    To = table.Column<string>(type: "TEXT", maxLength: 42, nullable: true),
                    Data = table.Column<string>(type: "TEXT", nullable: false),
                    Value = table.Column<string>(type: "TEXT", nullable: false),
                    Purpose = table.Column<string>(type: "TEXT", nullable: false),
                    Reference = table.Column<string>(type: "TEXT", nullable: true),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Outcome = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    Nonce = table.Column<long>(type: "INTEGER", nullable: true),
                    GasLimit = table.Column<long>(type: "INTEGER", nullable: true),
                    ResendCount = table.Column<int>(type: "INTEGER", nullable: false),
                    CancelRequested = table.Column<bool>(type: "INTEGER", nullable: false),
                    MinedHash = table.Column<string>(type: "TEXT", nullable: true),
                    BlockNumber = table.Column<long>(type: "INTEGER", nullable: true),
                    BlockHash = table.Column<string>(type: "TEXT", nullable: true),
                    GasUsed = table.Column<long>(type: "INTEGER", nullable: true),
                    EffectiveGasPrice = table.Column<string>(type: "TEXT", nullable: true),
                    ContractAddress = table.Column<string>(type: "TEXT", nullable: true),
                    ErrorCode = table.Column<string>(type: "TEXT", nullable: true),
                    ErrorMessage = table.Column<string>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    LastBroadcastAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    NotBefore = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ChainTxs", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "CollectibleOwners",
                columns: table => new
                {
                    Contract = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    TokenId = table.Column<string>(type: "TEXT", nullable: false),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Owner = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    UpdatedAtBlock = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CollectibleOwners", x => new { x.Contract, x.TokenId });
                });

            migrationBuilder.CreateTable(
                name: "CouponCodes",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    RewardId = table.Column<long>(type: "INTEGER", nullable: false),
                    Code = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    RedemptionId = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CouponCodes", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "CustodialWallets",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Index = table.Column<int>(type: "INTEGER", nullable: false),
                    Address = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CustodialWallets", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "CustodySeeds",
                columns: table => new
                {
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    NextIndex = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Secret_Ciphertext = table.Column<byte[]>(type: "BLOB", nullable: false),
                    Secret_KeyId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Secret_Nonce = table.Column<byte[]>(type: "BLOB", maxLength: 12, nullable: false),
                    Secret_Tag = table.Column<byte[]>(type: "BLOB", maxLength: 16, nullable: false),
                    Secret_WrappedKey = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CustodySeeds", x => x.ProgramId);
                });

            migrationBuilder.CreateTable(
                name: "DropMintBatches",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    DropId = table.Column<long>(type: "INTEGER", nullable: false),
                    ChainTxId = table.Column<long>(type: "INTEGER", nullable: false),
                    Recipients = table.Column<int>(type: "INTEGER", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    CompletedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DropMintBatches", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "DropVouchers",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    DropId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Recipient = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    Nonce = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    Deadline = table.Column<long>(type: "INTEGER", nullable: false),
                    Signature = table.Column<string>(type: "TEXT", maxLength: 140, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    RelayTxId = table.Column<long>(type: "INTEGER", nullable: true),
                    RelayError = table.Column<string>(type: "TEXT", nullable: true),
                    TokenId = table.Column<string>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DropVouchers", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Drops",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    OnChainDropId = table.Column<long>(type: "INTEGER", nullable: true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    ImageUrl = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    Attributes = table.Column<string>(type: "TEXT", nullable: false),
                    MaxSupply = table.Column<long>(type: "INTEGER", nullable: false),
                    Soulbound = table.Column<bool>(type: "INTEGER", nullable: false),
                    StartsAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    EndsAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    AllowMultiplePerMember = table.Column<bool>(type: "INTEGER", nullable: false),
                    Audience = table.Column<string>(type: "TEXT", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    StatusDetail = table.Column<string>(type: "TEXT", nullable: true),
                    CreateTxId = table.Column<long>(type: "INTEGER", nullable: true),
                    BaseUri = table.Column<string>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    PublishedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Drops", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "EarningRules",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Trigger = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Conditions = table.Column<string>(type: "TEXT", nullable: false),
                    Effect = table.Column<string>(type: "TEXT", nullable: false),
                    Limits = table.Column<string>(type: "TEXT", nullable: false),
                    Priority = table.Column<int>(type: "INTEGER", nullable: false),
                    Stacking = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    StartsAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    EndsAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Active = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EarningRules", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Events",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Type = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ExternalId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Amount = table.Column<long>(type: "INTEGER", nullable: true),
                    Currency = table.Column<string>(type: "TEXT", nullable: true),
                    RelatedEventId = table.Column<long>(type: "INTEGER", nullable: true),
                    Refunded = table.Column<long>(type: "INTEGER", nullable: false),
                    Points = table.Column<long>(type: "INTEGER", nullable: false),
                    Evaluation = table.Column<string>(type: "TEXT", nullable: false),
                    OccurredAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ReceivedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Events", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "IdempotencyKeys",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Key = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    RequestHash = table.Column<string>(type: "TEXT", nullable: false),
                    StatusCode = table.Column<int>(type: "INTEGER", nullable: false),
                    ResponseBody = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_IdempotencyKeys", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "IndexerCheckpoints",
                columns: table => new
                {
                    ChainId = table.Column<long>(type: "INTEGER", nullable: false),
                    Contract = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Standard = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    LastBlock = table.Column<long>(type: "INTEGER", nullable: false),
                    LastBlockHash = table.Column<string>(type: "TEXT", maxLength: 66, nullable: true),
                    Supply = table.Column<string>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_IndexerCheckpoints", x => new { x.ChainId, x.Contract });
                });

            migrationBuilder.CreateTable(
                name: "LedgerEntries",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    PostingId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Account = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: true),
                    Amount = table.Column<long>(type: "INTEGER", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    EventId = table.Column<long>(type: "INTEGER", nullable: true),
                    AccrualId = table.Column<long>(type: "INTEGER", nullable: true),
                    MintIntentId = table.Column<long>(type: "INTEGER", nullable: true),
                    Note = table.Column<string>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LedgerEntries", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "MemberBalances",
                columns: table => new
                {
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Pending = table.Column<long>(type: "INTEGER", nullable: false),
                    Available = table.Column<long>(type: "INTEGER", nullable: false),
                    Reserved = table.Column<long>(type: "INTEGER", nullable: false),
                    OnChain = table.Column<long>(type: "INTEGER", nullable: false),
                    LifetimeEarned = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MemberBalances", x => x.MemberId);
                });

            migrationBuilder.CreateTable(
                name: "MemberProfiles",
                columns: table => new
                {
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Email = table.Column<string>(type: "TEXT", nullable: true),
                    Phone = table.Column<string>(type: "TEXT", nullable: true),
                    Birthday = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    Attributes = table.Column<string>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MemberProfiles", x => x.MemberId);
                });

            migrationBuilder.CreateTable(
                name: "Members",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    ExternalId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    WalletAddress = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    WalletKind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    CustodialIndex = table.Column<int>(type: "INTEGER", nullable: true),
                    CustodialAddress = table.Column<string>(type: "TEXT", nullable: true),
                    Tier = table.Column<string>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Members", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "MintIntents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Address = table.Column<string>(type: "TEXT", nullable: false),
                    Amount = table.Column<long>(type: "INTEGER", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    BatchId = table.Column<long>(type: "INTEGER", nullable: true),
                    FailedBatches = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ConfirmedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MintIntents", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Programs",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    PointName = table.Column<string>(type: "TEXT", nullable: false),
                    PointSymbol = table.Column<string>(type: "TEXT", nullable: false),
                    Decimals = table.Column<int>(type: "INTEGER", nullable: false),
                    Currency = table.Column<string>(type: "TEXT", maxLength: 3, nullable: false),
                    PendingPeriodSeconds = table.Column<long>(type: "INTEGER", nullable: false),
                    TimeZone = table.Column<string>(type: "TEXT", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    StatusDetail = table.Column<string>(type: "TEXT", nullable: true),
                    PointsContract = table.Column<string>(type: "TEXT", maxLength: 42, nullable: true),
                    CollectibleContract = table.Column<string>(type: "TEXT", maxLength: 42, nullable: true),
                    StartBlock = table.Column<long>(type: "INTEGER", nullable: false),
                    PointsDeployTxId = table.Column<long>(type: "INTEGER", nullable: true),
                    CollectibleDeployTxId = table.Column<long>(type: "INTEGER", nullable: true),
                    OperatorAddress = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Programs", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ReconciliationReports",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    CheckedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Block = table.Column<long>(type: "INTEGER", nullable: false),
                    LedgerOnChain = table.Column<string>(type: "TEXT", nullable: false),
                    ChainTotalSupply = table.Column<string>(type: "TEXT", nullable: false),
                    MembersChecked = table.Column<int>(type: "INTEGER", nullable: false),
                    DriftCount = table.Column<int>(type: "INTEGER", nullable: false),
                    Drifts = table.Column<string>(type: "TEXT", nullable: false),
                    Reconciled = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReconciliationReports", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Redemptions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    RewardId = table.Column<long>(type: "INTEGER", nullable: false),
                    Cost = table.Column<long>(type: "INTEGER", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    CouponCode = table.Column<string>(type: "TEXT", nullable: true),
                    Owner = table.Column<string>(type: "TEXT", nullable: false),
                    SelfCustody = table.Column<bool>(type: "INTEGER", nullable: false),
                    BurnNonce = table.Column<long>(type: "INTEGER", nullable: true),
                    BurnDeadline = table.Column<long>(type: "INTEGER", nullable: true),
                    BurnSignature = table.Column<string>(type: "TEXT", nullable: true),
                    BatchId = table.Column<long>(type: "INTEGER", nullable: true),
                    BatchIndex = table.Column<int>(type: "INTEGER", nullable: true),
                    FailureCode = table.Column<string>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Redemptions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Rewards",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Type = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    Name = table.Column<string>(type: "TEXT", nullable: false),
                    Description = table.Column<string>(type: "TEXT", nullable: true),
                    Cost = table.Column<long>(type: "INTEGER", nullable: false),
                    Stock = table.Column<int>(type: "INTEGER", nullable: true),
                    Issued = table.Column<int>(type: "INTEGER", nullable: false),
                    PerMemberLimit = table.Column<int>(type: "INTEGER", nullable: true),
                    Tiers = table.Column<string>(type: "TEXT", nullable: false),
                    Attributes = table.Column<string>(type: "TEXT", nullable: false),
                    ValidFrom = table.Column<DateTime>(type: "TEXT", nullable: true),
                    ValidUntil = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Coupons = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    DropId = table.Column<long>(type: "INTEGER", nullable: true),
                    Active = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Rewards", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "SenderStates",
                columns: table => new
                {
                    ChainId = table.Column<long>(type: "INTEGER", nullable: false),
                    Address = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    NextNonce = table.Column<long>(type: "INTEGER", nullable: false),
                    Paused = table.Column<bool>(type: "INTEGER", nullable: false),
                    PausedReason = table.Column<string>(type: "TEXT", nullable: true),
                    PausedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SenderStates", x => new { x.ChainId, x.Address });
                });

            migrationBuilder.CreateTable(
                name: "ServiceKeys",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Purpose = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: true),
                    Scope = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Address = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Secret_Ciphertext = table.Column<byte[]>(type: "BLOB", nullable: false),
                    Secret_KeyId = table.Column<string>(type: "TEXT", nullable: false),
                    Secret_Nonce = table.Column<byte[]>(type: "BLOB", nullable: false),
                    Secret_Tag = table.Column<byte[]>(type: "BLOB", nullable: false),
                    Secret_WrappedKey = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ServiceKeys", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "SettlementBatches",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    ChainTxId = table.Column<long>(type: "INTEGER", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", nullable: false),
                    Recipients = table.Column<int>(type: "INTEGER", nullable: false),
                    Total = table.Column<long>(type: "INTEGER", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    CompletedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SettlementBatches", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "SiweNonces",
                columns: table => new
                {
                    Nonce = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    IssuedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UsedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    UsedBy = table.Column<string>(type: "TEXT", maxLength: 42, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SiweNonces", x => x.Nonce);
                });

            migrationBuilder.CreateTable(
                name: "TokenHoldings",
                columns: table => new
                {
                    Contract = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    Holder = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Balance = table.Column<string>(type: "TEXT", nullable: false),
                    UpdatedAtBlock = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TokenHoldings", x => new { x.Contract, x.Holder });
                });

            migrationBuilder.CreateTable(
                name: "TransferLogs",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    Contract = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    BlockNumber = table.Column<long>(type: "INTEGER", nullable: false),
                    BlockHash = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    TxHash = table.Column<string>(type: "TEXT", maxLength: 66, nullable: false),
                    LogIndex = table.Column<long>(type: "INTEGER", nullable: false),
                    From = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    To = table.Column<string>(type: "TEXT", maxLength: 42, nullable: false),
                    Value = table.Column<string>(type: "TEXT", nullable: false),
                    TokenId = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TransferLogs", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Withdrawals",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Asset = table.Column<string>(type: "TEXT", nullable: false),
                    Amount = table.Column<long>(type: "INTEGER", nullable: false),
                    TokenId = table.Column<string>(type: "TEXT", nullable: true),
                    From = table.Column<string>(type: "TEXT", nullable: false),
                    To = table.Column<string>(type: "TEXT", nullable: false),
                    ChainTxId = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Withdrawals", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ChainTxAttempts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ChainTxId = table.Column<long>(type: "INTEGER", nullable: false),
                    Hash = table.Column<string>(type: "TEXT", nullable: false),
                    RawTransaction = table.Column<string>(type: "TEXT", nullable: false),
                    Nonce = table.Column<long>(type: "INTEGER", nullable: false),
                    MaxFeePerGas = table.Column<string>(type: "TEXT", nullable: false),
                    MaxPriorityFeePerGas = table.Column<string>(type: "TEXT", nullable: false),
                    GasLimit = table.Column<long>(type: "INTEGER", nullable: false),
                    IsCancellation = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ChainTxAttempts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ChainTxAttempts_ChainTxs_ChainTxId",
                        column: x => x.ChainTxId,
                        principalTable: "ChainTxs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "BadgeRules",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    DropId = table.Column<long>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Trigger = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Count = table.Column<int>(type: "INTEGER", nullable: true),
                    Tier = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Points = table.Column<long>(type: "INTEGER", nullable: true),
                    Conditions = table.Column<string>(type: "TEXT", nullable: false),
                    Active = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BadgeRules", x => x.Id);
                    table.ForeignKey(
                        name: "FK_BadgeRules_Drops_DropId",
                        column: x => x.DropId,
                        principalTable: "Drops",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "DropImages",
                columns: table => new
                {
                    DropId = table.Column<long>(type: "INTEGER", nullable: false),
                    ContentType = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Bytes = table.Column<byte[]>(type: "BLOB", nullable: false),
                    Sha256 = table.Column<string>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DropImages", x => x.DropId);
                    table.ForeignKey(
                        name: "FK_DropImages_Drops_DropId",
                        column: x => x.DropId,
                        principalTable: "Drops",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "DropMints",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    DropId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    Sequence = table.Column<int>(type: "INTEGER", nullable: false),
                    Source = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Address = table.Column<string>(type: "TEXT", maxLength: 42, nullable: true),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    FailureCode = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    BatchId = table.Column<long>(type: "INTEGER", nullable: true),
                    BatchIndex = table.Column<int>(type: "INTEGER", nullable: true),
                    TokenId = table.Column<string>(type: "TEXT", nullable: true),
                    FailedBatches = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    MintedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DropMints", x => x.Id);
                    table.ForeignKey(
                        name: "FK_DropMints_Drops_DropId",
                        column: x => x.DropId,
                        principalTable: "Drops",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "RuleAwards",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ProgramId = table.Column<long>(type: "INTEGER", nullable: false),
                    RuleId = table.Column<long>(type: "INTEGER", nullable: false),
                    MemberId = table.Column<long>(type: "INTEGER", nullable: false),
                    EventId = table.Column<long>(type: "INTEGER", nullable: false),
                    Points = table.Column<long>(type: "INTEGER", nullable: false),
                    AwardedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RuleAwards", x => x.Id);
                    table.ForeignKey(
                        name: "FK_RuleAwards_EarningRules_RuleId",
                        column: x => x.RuleId,
                        principalTable: "EarningRules",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Accruals_EventId",
                table: "Accruals",
                column: "EventId");

            migrationBuilder.CreateIndex(
                name: "IX_Accruals_Status_MaturesAt",
                table: "Accruals",
                columns: new[] { "Status", "MaturesAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_Code_Subject_ResolvedAt",
                table: "Alerts",
                columns: new[] { "Code", "Subject", "ResolvedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ApiKeys_Hash",
                table: "ApiKeys",
                column: "Hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ApiKeys_ProgramId",
                table: "ApiKeys",
                column: "ProgramId");

            migrationBuilder.CreateIndex(
                name: "IX_BadgeRules_DropId",
                table: "BadgeRules",
                column: "DropId");

            migrationBuilder.CreateIndex(
                name: "IX_BadgeRules_ProgramId_Active",
                table: "BadgeRules",
                columns: new[] { "ProgramId", "Active" });

            migrationBuilder.CreateIndex(
                name: "IX_ChainTxAttempts_ChainTxId",
                table: "ChainTxAttempts",
                column: "ChainTxId");

            migrationBuilder.CreateIndex(
                name: "IX_ChainTxAttempts_Hash",
                table: "ChainTxAttempts",
                column: "Hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ChainTxs_ChainId_From_Nonce",
                table: "ChainTxs",
                columns: new[] { "ChainId", "From", "Nonce" });

            migrationBuilder.CreateIndex(
                name: "IX_ChainTxs_Purpose_Reference",
                table: "ChainTxs",
                columns: new[] { "Purpose", "Reference" });

            migrationBuilder.CreateIndex(
                name: "IX_ChainTxs_Status_NotBefore",
                table: "ChainTxs",
                columns: new[] { "Status", "NotBefore" });

            migrationBuilder.CreateIndex(
                name: "IX_CollectibleOwners_Contract_Owner",
                table: "CollectibleOwners",
                columns: new[] { "Contract", "Owner" });

            migrationBuilder.CreateIndex(
                name: "IX_CouponCodes_ProgramId_Code",
                table: "CouponCodes",
                columns: new[] { "ProgramId", "Code" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CouponCodes_RewardId_RedemptionId",
                table: "CouponCodes",
                columns: new[] { "RewardId", "RedemptionId" });

            migrationBuilder.CreateIndex(
                name: "IX_CustodialWallets_ProgramId_Address",
                table: "CustodialWallets",
                columns: new[] { "ProgramId", "Address" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CustodialWallets_ProgramId_Index",
                table: "CustodialWallets",
                columns: new[] { "ProgramId", "Index" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_DropMintBatches_DropId_Status",
                table: "DropMintBatches",
                columns: new[] { "DropId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_DropMintBatches_Status",
                table: "DropMintBatches",
                column: "Status");

            migrationBuilder.CreateIndex(
                name: "IX_DropMints_BatchId",
                table: "DropMints",
                column: "BatchId");

            migrationBuilder.CreateIndex(
                name: "IX_DropMints_DropId_MemberId_Sequence",
                table: "DropMints",
                columns: new[] { "DropId", "MemberId", "Sequence" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_DropMints_DropId_Status",
                table: "DropMints",
                columns: new[] { "DropId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_DropMints_TokenId",
                table: "DropMints",
                column: "TokenId");

            migrationBuilder.CreateIndex(
                name: "IX_DropVouchers_DropId_MemberId",
                table: "DropVouchers",
                columns: new[] { "DropId", "MemberId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_DropVouchers_Nonce",
                table: "DropVouchers",
                column: "Nonce",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_DropVouchers_Status",
                table: "DropVouchers",
                column: "Status");

            migrationBuilder.CreateIndex(
                name: "IX_Drops_ProgramId_OnChainDropId",
                table: "Drops",
                columns: new[] { "ProgramId", "OnChainDropId" });

            migrationBuilder.CreateIndex(
                name: "IX_Drops_ProgramId_Status",
                table: "Drops",
                columns: new[] { "ProgramId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_EarningRules_ProgramId_Trigger_Active",
                table: "EarningRules",
                columns: new[] { "ProgramId", "Trigger", "Active" });

            migrationBuilder.CreateIndex(
                name: "IX_Events_ProgramId_MemberId",
                table: "Events",
                columns: new[] { "ProgramId", "MemberId" });

            migrationBuilder.CreateIndex(
                name: "IX_Events_ProgramId_Type_ExternalId",
                table: "Events",
                columns: new[] { "ProgramId", "Type", "ExternalId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_IdempotencyKeys_ProgramId_Key",
                table: "IdempotencyKeys",
                columns: new[] { "ProgramId", "Key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_IndexerCheckpoints_ProgramId",
                table: "IndexerCheckpoints",
                column: "ProgramId");

            migrationBuilder.CreateIndex(
                name: "IX_LedgerEntries_PostingId",
                table: "LedgerEntries",
                column: "PostingId");

            migrationBuilder.CreateIndex(
                name: "IX_LedgerEntries_ProgramId_MemberId_Id",
                table: "LedgerEntries",
                columns: new[] { "ProgramId", "MemberId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_MemberBalances_ProgramId",
                table: "MemberBalances",
                column: "ProgramId");

            migrationBuilder.CreateIndex(
                name: "IX_Members_ProgramId_ExternalId",
                table: "Members",
                columns: new[] { "ProgramId", "ExternalId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Members_ProgramId_WalletAddress",
                table: "Members",
                columns: new[] { "ProgramId", "WalletAddress" });

            migrationBuilder.CreateIndex(
                name: "IX_MintIntents_BatchId",
                table: "MintIntents",
                column: "BatchId");

            migrationBuilder.CreateIndex(
                name: "IX_MintIntents_ProgramId_Status",
                table: "MintIntents",
                columns: new[] { "ProgramId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_ReconciliationReports_ProgramId_Id",
                table: "ReconciliationReports",
                columns: new[] { "ProgramId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Redemptions_BatchId",
                table: "Redemptions",
                column: "BatchId");

            migrationBuilder.CreateIndex(
                name: "IX_Redemptions_MemberId_RewardId",
                table: "Redemptions",
                columns: new[] { "MemberId", "RewardId" });

            migrationBuilder.CreateIndex(
                name: "IX_Redemptions_ProgramId_Status",
                table: "Redemptions",
                columns: new[] { "ProgramId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_Rewards_ProgramId",
                table: "Rewards",
                column: "ProgramId");

            migrationBuilder.CreateIndex(
                name: "IX_RuleAwards_EventId_RuleId",
                table: "RuleAwards",
                columns: new[] { "EventId", "RuleId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_RuleAwards_ProgramId_MemberId_RuleId_AwardedAt",
                table: "RuleAwards",
                columns: new[] { "ProgramId", "MemberId", "RuleId", "AwardedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_RuleAwards_ProgramId_RuleId",
                table: "RuleAwards",
                columns: new[] { "ProgramId", "RuleId" });

            migrationBuilder.CreateIndex(
                name: "IX_RuleAwards_RuleId",
                table: "RuleAwards",
                column: "RuleId");

            migrationBuilder.CreateIndex(
                name: "IX_ServiceKeys_Scope",
                table: "ServiceKeys",
                column: "Scope",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_SettlementBatches_Status",
                table: "SettlementBatches",
                column: "Status");

            migrationBuilder.CreateIndex(
                name: "IX_SiweNonces_ExpiresAt",
                table: "SiweNonces",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_TokenHoldings_ProgramId_Holder",
                table: "TokenHoldings",
                columns: new[] { "ProgramId", "Holder" });

            migrationBuilder.CreateIndex(
                name: "IX_TransferLogs_Contract_BlockNumber",
                table: "TransferLogs",
                columns: new[] { "Contract", "BlockNumber" });

            migrationBuilder.CreateIndex(
                name: "IX_TransferLogs_Contract_From",
                table: "TransferLogs",
                columns: new[] { "Contract", "From" });

            migrationBuilder.CreateIndex(
                name: "IX_TransferLogs_Contract_To",
                table: "TransferLogs",
                columns: new[] { "Contract", "To" });

            migrationBuilder.CreateIndex(
                name: "IX_TransferLogs_TxHash_LogIndex",
                table: "TransferLogs",
                columns: new[] { "TxHash", "LogIndex" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Withdrawals_ProgramId_MemberId",
                table: "Withdrawals",
                columns: new[] { "ProgramId", "MemberId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Accruals");

            migrationBuilder.DropTable(
                name: "Alerts");

            migrationBuilder.DropTable(
                name: "ApiKeys");

            migrationBuilder.DropTable(
                name: "BadgeRules");

            migrationBuilder.DropTable(
                name: "ChainTxAttempts");

            migrationBuilder.DropTable(
                name: "CollectibleOwners");

            migrationBuilder.DropTable(
                name: "CouponCodes");

            migrationBuilder.DropTable(
                name: "CustodialWallets");

            migrationBuilder.DropTable(
                name: "CustodySeeds");

            migrationBuilder.DropTable(
                name: "DropImages");

            migrationBuilder.DropTable(
                name: "DropMintBatches");

            migrationBuilder.DropTable(
                name: "DropMints");

            migrationBuilder.DropTable(
                name: "DropVouchers");

            migrationBuilder.DropTable(
                name: "Events");

            migrationBuilder.DropTable(
                name: "IdempotencyKeys");

            migrationBuilder.DropTable(
                name: "IndexerCheckpoints");

            migrationBuilder.DropTable(
                name: "LedgerEntries");

            migrationBuilder.DropTable(
                name: "MemberBalances");

            migrationBuilder.DropTable(
                name: "MemberProfiles");

            migrationBuilder.DropTable(
                name: "Members");

            migrationBuilder.DropTable(
                name: "MintIntents");

            migrationBuilder.DropTable(
                name: "Programs");

            migrationBuilder.DropTable(
                name: "ReconciliationReports");

            migrationBuilder.DropTable(
                name: "Redemptions");

            migrationBuilder.DropTable(
                name: "Rewards");

            migrationBuilder.DropTable(
                name: "RuleAwards");

            migrationBuilder.DropTable(
                name: "SenderStates");

            migrationBuilder.DropTable(
                name: "ServiceKeys");

            migrationBuilder.DropTable(
                name: "SettlementBatches");

            migrationBuilder.DropTable(
                name: "SiweNonces");

            migrationBuilder.DropTable(
                name: "TokenHoldings");

            migrationBuilder.DropTable(
                name: "TransferLogs");

            migrationBuilder.DropTable(
                name: "Withdrawals");

            migrationBuilder.DropTable(
                name: "ChainTxs");

            migrationBuilder.DropTable(
                name: "Drops");

            migrationBuilder.DropTable(
                name: "EarningRules");
        }
    }
}
