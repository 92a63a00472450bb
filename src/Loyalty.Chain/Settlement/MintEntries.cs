using System.Numerics;

namespace Loyalty.Chain.Settlement;

/// <summary>
/// Cuts queued intents into mintBatch entries and chunks whose sums fit in int64. Sums used LINQ's checked Sum: an
/// intent near int64 (from before intake capped amounts) made every settlement run throw and the program never settled.
/// Now a wallet whose intents overflow gets a second entry, and a chunk closes before its total would overflow.
/// </summary>
internal static class MintEntries
{
    public sealed class Entry(string address)
    {
        public string Address { get; } = address;
        public long Amount { get; set; }
        public List<MintIntent> Intents { get; } = [];
    }

    public static List<Entry> PerWallet(IEnumerable<MintIntent> intents)
    {
        var entries = new List<Entry>();
        foreach (var wallet in intents.GroupBy(i => i.Address))
        {
            Entry? open = null;
            foreach (var intent in wallet)
            {
                if (open is null || open.Amount > long.MaxValue - intent.Amount)
                {
                    open = new Entry(wallet.Key);
                    entries.Add(open);
                }
                open.Intents.Add(intent);
                open.Amount += intent.Amount;
            }
        }
        return entries.OrderBy(e => e.Intents[0].Id).ToList();
    }

    public static List<List<Entry>> Chunk(List<Entry> entries, int maxRecipients)
    {
        var chunks = new List<List<Entry>>();
        List<Entry>? open = null;
        BigInteger total = 0;
        foreach (var entry in entries)
        {
            if (open is null || open.Count == maxRecipients || total + entry.Amount > long.MaxValue)
            {
                open = [];
                chunks.Add(open);
                total = 0;
            }
            open.Add(entry);
            total += entry.Amount;
        }
        return chunks;
    }

    public static long Total(IEnumerable<Entry> chunk) => chunk.Aggregate(0L, (sum, e) => checked(sum + e.Amount));
}
