using System.Net;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.IntegrationTests.Infrastructure;
using Nethereum.Signer;

namespace Loyalty.Chain.IntegrationTests;

/// <summary>Members with points on chain in their custodial wallet and a linked self-custody wallet.</summary>
internal static class AssetMoveSupport
{
    public static async Task<string> KeyAsync(ProgramFixture f, string role) =>
        (await f.Api.PostAsync(f.P("/api-keys"), f.AdminKey, new { role })).Body!["key"]!.GetValue<string>();

    public static async Task<string> TokenAsync(ProgramFixture f, string member) =>
        (await f.Api.PostAsync(f.P($"/members/{member}/tokens"), f.AdminKey, null)).Body!["token"]!.GetValue<string>();

    public static Task<HttpResponseMessage> AsMemberAsync(ProgramFixture f, string token, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Authorization = new("Bearer", token);
        return f.Api.Http.SendAsync(request);
    }

    /// <returns>The linked wallet's address and the custodial address.</returns>
    /// <param name="wallet">The self-custody key to link (a fresh one when null).</param>
    public static async Task<(string Wallet, string Custodial)> MemberWithPointsAsync(ProgramFixture f, string member, int points, EthECKey? wallet = null)
    {
        var trigger = "grant-" + member;
        await f.Api.PostAsync(f.P("/rules"), f.AdminKey, new { name = trigger, trigger, effect = new { kind = "Fixed", points } });
        var enrolled = await f.Api.PostAsync(f.P("/members"), f.AdminKey, new { externalId = member });
        var custodial = enrolled.Body!["walletAddress"]!.GetValue<string>();
        await f.Api.PostAsync(f.P("/events"), f.AdminKey, new { type = trigger, memberId = member, eventId = trigger });
        await f.Api.PostAsync(f.P("/settlement/run"), f.AdminKey, null);
        var token = new LoyaltyPointsService(f.Chain.Chain.AdminWeb3, f.Program["pointsContract"]!.GetValue<string>());
        if (!await LoyaltyApi.EventuallyAsync(async () => await token.BalanceOfQueryAsync(custodial) == points, TimeSpan.FromSeconds(60)))
            throw new InvalidOperationException($"{member}'s points did not reach the chain{await PipelineDiagnostics.DescribeAsync(f.Factory.Services)}");

        wallet ??= EthECKey.GenerateKey();
        var challenge = await f.Api.PostAsync(f.P($"/members/{member}/wallet/challenge"), f.AdminKey, new { address = wallet.GetPublicAddress() });
        var message = challenge.Body!["message"]!.GetValue<string>();
        var linked = await f.Api.PostAsync(f.P($"/members/{member}/wallet/link"), f.AdminKey,
            new { message, signature = new EthereumMessageSigner().EncodeUTF8AndSign(message, wallet) });
        if (linked.Status != HttpStatusCode.OK) throw new InvalidOperationException($"link failed: {linked.Body}");
        return (wallet.GetPublicAddress(), custodial);
    }
}
