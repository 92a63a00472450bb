using System.Net;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.IntegrationTests.Infrastructure;

namespace Loyalty.Chain.IntegrationTests;

public sealed class ProgramLifecycleTests(ProgramFixture f) : IClassFixture<ProgramFixture>
{
    [Fact]
    public async Task CreatedProgram_IsDeployedThroughThePipeline_AndItsOwnMinterKeyHoldsTheMinterRole()
    {
        var pointsAddress = f.Program["pointsContract"]!.GetValue<string>();
        var points = new LoyaltyPointsService(f.Chain.Chain.AdminWeb3, pointsAddress);
        Assert.Equal("Beans", await points.NameQueryAsync());
        Assert.Equal(0, await points.DecimalsQueryAsync());
        Assert.True(await points.HasRoleQueryAsync(await points.MinterRoleQueryAsync(), f.Program["minterAddress"]!.GetValue<string>()));
        Assert.False(await points.HasRoleQueryAsync(await points.MinterRoleQueryAsync(), f.Program["operatorAddress"]!.GetValue<string>()));
    }

    [Fact]
    public async Task CreateProgram_WithoutRootKey_Is401_WithProgramKey_Is403_AndBadInputIs400WithCode()
    {
        var body = new { name = "X", pointName = "P", pointSymbol = "P", decimals = 0, currency = "EUR", pendingPeriodSeconds = 0 };
        Assert.Equal(HttpStatusCode.Unauthorized, (await f.Api.PostAsync("/v1/programs", null, body)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await f.Api.PostAsync("/v1/programs", f.AdminKey, body)).Status);
        var bad = await f.Api.PostAsync("/v1/programs", f.Factory.AdminKey, body with { });
        var wrongCurrency = await f.Api.PostAsync("/v1/programs", f.Factory.AdminKey,
            new { name = "X", pointName = "P", pointSymbol = "P", decimals = 0, currency = "XXX", pendingPeriodSeconds = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, wrongCurrency.Status);
        Assert.Equal("UNKNOWN_CURRENCY", wrongCurrency.Body!["code"]!.GetValue<string>());
        var tooManyDecimals = await f.Api.PostAsync("/v1/programs", f.Factory.AdminKey,
            new { name = "X", pointName = "P", pointSymbol = "P", decimals = 18, currency = "EUR", pendingPeriodSeconds = 0 });
        Assert.Equal("INVALID_DECIMALS", tooManyDecimals.Body!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Created, bad.Status); // the well-formed one is accepted
    }
}
