using Loyalty.Chain.Chain;
using Microsoft.Extensions.Options;

namespace Loyalty.Chain.Api.Chain;

/// <summary>The configured chain id, for responses that let partners check against any node.</summary>
public sealed class ChainOptionsAccessor(IOptions<ChainOptions> options)
{
    public long ChainId => options.Value.ChainId;
}
