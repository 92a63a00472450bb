using System.Numerics;
using Loyalty.Chain.Contracts.BalanceReader.ContractDefinition;
using Nethereum.ABI.FunctionEncoding;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace Loyalty.Chain.Settlement;

/// <summary>
/// Many ERC-20 balances in one eth_call: the creation code of contracts/BalanceReader.sol, sent without a "to", returns
/// the balances instead of deploying anything. Works on every program's token, with nothing deployed beside it.
/// </summary>
public static class BalanceReads
{
    [FunctionOutput]
    private sealed class Balances : IFunctionOutputDTO
    {
        [Parameter("uint256[]", "", 1)] public List<BigInteger> Values { get; set; } = [];
    }

    public static async Task<IReadOnlyList<BigInteger>> BalancesOfAsync(IWeb3 web3, string token, IReadOnlyList<string> holders, BlockParameter at)
    {
        if (holders.Count == 0) return [];
        var deployment = new BalanceReaderDeployment { Token = token, Holders = holders.ToList() };
        var data = new Nethereum.Contracts.MessageEncodingServices.DeploymentMessageEncodingService<BalanceReaderDeployment>().GetDeploymentData(deployment);
        var answer = await web3.Eth.Transactions.Call.SendRequestAsync(new CallInput { Data = data }, at);
        var values = new FunctionCallDecoder().DecodeFunctionOutput<Balances>(answer).Values;
        if (values.Count != holders.Count)
            throw new InvalidOperationException($"BalanceReader answered {values.Count} balances for {holders.Count} holders");
        return values;
    }
}
