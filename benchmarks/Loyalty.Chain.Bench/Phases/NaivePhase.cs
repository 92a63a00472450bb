using System.Diagnostics;
using System.Numerics;
using System.Security.Cryptography;
using Loyalty.Chain.Bench.Infrastructure;
using Loyalty.Chain.Contracts.LoyaltyPoints;
using Loyalty.Chain.Contracts.LoyaltyPoints.ContractDefinition;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Signer;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;

namespace Loyalty.Chain.Bench.Phases;

public sealed record NaiveFigures(int Accruals, double Seconds, long GasTotal)
{
    public double PerSecond => Seconds > 0 ? Accruals / Seconds : 0;
}

/// <summary>
/// The baseline settlement replaces: one mint transaction per accrual, sent one after the other, each waiting for
/// its receipt. It runs against its own LoyaltyPoints token on the same node, deployed by a fresh account funded
/// with hardhat_setBalance (no key is written anywhere). The baseline gets every advantage: nonces counted
/// locally, gas limit and fees fixed once, the receipt asked for right after the send returns (automine has
/// mined it by then). A typical client estimating gas and fees per transaction is slower.
/// </summary>
public static class NaivePhase
{
    public static async Task<NaiveFigures> RunAsync(Rpc rpc, TimeSpan duration, Action<string> log, CancellationToken ct)
    {
        var account = new Account(EthECKey.GenerateKey(), HardhatNodeServer.ChainId);
        await rpc.SetBalanceAsync(account.Address, BigInteger.Pow(10, 18) * 1_000, ct);
        var web3 = new Web3(account, rpc.Url);
        var token = await LoyaltyPointsService.DeployContractAndGetServiceAsync(web3,
            new LoyaltyPointsDeployment { Name = "Naive Points", Symbol = "NAIVE", Decimals = 0, Admin = account.Address });
        await token.GrantRoleRequestAndWaitForReceiptAsync(await token.MinterRoleQueryAsync(), account.Address);
        log($"naive: LoyaltyPoints deployed at {token.ContractAddress}; one mint per accrual for {duration.TotalSeconds:F0} s");

        var recipients = Enumerable.Range(0, 1000).Select(_ => "0x" + Convert.ToHexString(RandomNumberGenerator.GetBytes(20)).ToLowerInvariant()).ToArray();
        var nonce = Rpc.Quantity(await rpc.CallAsync("eth_getTransactionCount", [account.Address, "pending"], ct));
        var baseFee = Rpc.Quantity((await rpc.CallAsync("eth_getBlockByNumber", ["latest", false], ct))!["baseFeePerGas"]);
        var tip = BigInteger.Pow(10, 9);
        var maxFee = baseFee * 3 + tip;
        var gas = await token.ContractHandler.EstimateGasAsync(Mint(recipients[0], 1, null, null, null, null));
        var gasLimit = gas.Value * 3 / 2;

        async Task<TransactionReceipt> MintAsync(int i)
        {
            var hash = await token.ContractHandler.SendRequestAsync(Mint(recipients[i % recipients.Length], 1 + i % 97, gasLimit, maxFee, tip, nonce));
            nonce++;
            while (true)
            {
                var receipt = await web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(hash);
                if (receipt is not null)
                {
                    if (receipt.Status.Value != 1) throw new InvalidOperationException($"naive mint {hash} reverted");
                    return receipt;
                }
                ct.ThrowIfCancellationRequested();
                await Task.Delay(2, ct);
            }
        }

        for (var i = 0; i < 10; i++) await MintAsync(i); // not measured: JIT and connection
        var count = 0;
        long gasTotal = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            ct.ThrowIfCancellationRequested();
            gasTotal += (long)(await MintAsync(10 + count)).GasUsed.Value;
            count++;
        }
        var figures = new NaiveFigures(count, clock.Elapsed.TotalSeconds, gasTotal);
        log($"naive: {count} mints in {figures.Seconds:F1} s = {figures.PerSecond:F1}/s, {gasTotal / Math.Max(count, 1)} gas each");
        return figures;
    }

    private static MintBatchFunction Mint(string to, int amount, BigInteger? gas, BigInteger? maxFee, BigInteger? tip, BigInteger? nonce) => new()
    {
        To = [to], Amounts = [amount], Gas = gas, MaxFeePerGas = maxFee, MaxPriorityFeePerGas = tip, Nonce = nonce,
    };
}
